/**
 * A job's content hash: what the job computes, without where or when it runs. Two jobs with the same
 * hash train the same network on the same data with the same seed, so one's finished run stands for
 * the other's (the run cache, ./run-cache.ts) and a queue holds it once (../run/launchers/queue.ts).
 *
 * In the hash: the resolved spec (overrides applied, defaults filled in, its one seed) and the run's
 * name and variant. Left out, because they change from one sweep to the next without changing the
 * result: the parent run, the experiment's id on one server, the tracking URI, the spec file's path
 * and text (a comment changes the text, not the job), the sweep's tags, the cores it gets, and the
 * backend asked for (a faster backend computes the same network).
 *
 * A kind whose results depend on files beyond the spec (a dataset folder, a user's train.py) gives
 * their content key (ExperimentKind.inputsKey, computed with the static checks), carried in the job
 * as `inputsKey`: an edited image or script makes another job. It enters the hash only when there is
 * one, so a job without (toy-mlp, mnist) hashes byte for byte as before inputsKey existed, and the
 * runs already recorded stay found.
 */
import { createHash } from 'node:crypto';
import type { Job } from './job.ts';

/** The tag every run carries: its job's content hash. */
export const TAG_JOB_HASH = 'xp.jobHash';

export function jobContentHash(job: Pick<Job, 'spec' | 'name' | 'variant' | 'inputsKey'>): string {
  const content: Record<string, unknown> = { spec: job.spec, name: job.name, variant: job.variant };
  if (job.inputsKey !== undefined) content.inputsKey = job.inputsKey;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** JSON with every object's keys sorted, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
