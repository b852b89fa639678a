/**
 * The run cache, as DVC's: before a job runs, its experiment is searched for a FINISHED run of the
 * same content (the xp.jobHash tag, ./job-hash.ts: the resolved spec, and the content key of the files
 * it reads beyond the spec where its kind has one) made by the same xp version. Where there is one,
 * the job is not trained: it is reported as cached, with that run's id and metrics. `xp run --force`
 * goes around the cache.
 *
 * The sweep loop wraps whichever launcher it uses in withRunCache, so every launcher has it; a queue
 * worker asks again before it trains, since a job can wait in the queue while a copy of it finishes.
 */
import { withSeed } from '@xp/core';
import type { RunRecord, TrackingReader } from '@xp/tracking';
import type { CheckedExperiment } from './static-checks.ts';
import { XP_VERSION } from '../version.ts';
import { jobContentHash, TAG_JOB_HASH } from './job-hash.ts';
import type { Job, JobResult } from './job.ts';
import type { Launcher } from './launcher.ts';
import { gridJobs } from './sweepers/grid.ts';

/**
 * For each hash of `hashes` that has one, the latest FINISHED run of experiment `experimentId` with
 * that job hash and this xp version.
 */
export async function findCachedRuns(reader: TrackingReader, experimentId: string, hashes: Iterable<string>): Promise<Map<string, RunRecord>> {
  const wanted = new Set(hashes);
  const found = new Map<string, RunRecord>();
  if (wanted.size === 0) return found;
  for (const run of await reader.listRuns(experimentId)) {
    const hash = run.tags[TAG_JOB_HASH];
    if (run.status !== 'FINISHED' || hash === undefined || !wanted.has(hash) || run.tags['xp.version'] !== XP_VERSION) continue;
    const earlier = found.get(hash);
    if (!earlier || (run.endTime ?? run.startTime) > (earlier.endTime ?? earlier.startTime)) found.set(hash, run);
  }
  return found;
}

/** A job's result taken from its cached run: passed (FINISHED is what a passed run ends as), not trained again. */
export function cachedResult(job: Pick<Job, 'name' | 'variant' | 'seed'>, run: RunRecord): JobResult {
  return {
    name: job.name,
    variant: job.variant,
    seed: job.seed,
    runId: run.runId,
    status: 'passed',
    cached: true,
    params: run.params,
    metrics: run.metrics,
    artifacts: {},
    message: `cached: run ${run.runId} finished ${new Date(run.endTime ?? run.startTime).toISOString()} with xp ${XP_VERSION}`,
  };
}

/**
 * `launcher`, except that jobs with a cached run are answered from the cache (onResult as they are
 * found) and only the others are launched. A store that cannot be searched (a server down, an
 * experiment not yet created) means no cache, said once, never a failed sweep.
 */
export function withRunCache(launcher: Launcher, reader: TrackingReader): Launcher {
  return {
    async launch(jobs, hooks, signal) {
      const results: Array<JobResult | undefined> = new Array(jobs.length);
      const hashes = jobs.map((job) => jobContentHash(job));
      const cached = new Map<string, RunRecord>();
      for (const experimentId of new Set(jobs.map((job) => job.experimentId))) {
        try {
          const own = hashes.filter((_, index) => jobs[index].experimentId === experimentId);
          for (const [hash, run] of await findCachedRuns(reader, experimentId, own)) cached.set(hash, run);
        } catch (error) {
          hooks.log(`run cache: could not search experiment ${experimentId} (${(error as Error).message}); running every job`);
        }
      }
      const toLaunch: number[] = [];
      for (const [index, job] of jobs.entries()) {
        const run = cached.get(hashes[index]);
        if (!run) {
          toLaunch.push(index);
          continue;
        }
        results[index] = cachedResult(job, run);
        hooks.log(`${job.name}: cached (run ${run.runId}); not trained again (--force reruns it)`);
        hooks.onResult(results[index]);
      }
      if (toLaunch.length === 0) return results;
      const launched = await launcher.launch(
        toLaunch.map((index) => jobs[index]),
        hooks,
        signal,
      );
      for (const [position, index] of toLaunch.entries()) results[index] = launched[position];
      return results;
    },
  };
}

/**
 * For `xp plan`: the runs of the sweep (by run name) that the run cache would answer, looked up in the
 * experiment `experimentName` without creating it.
 */
export async function cachedRunsOfPlan(checked: Pick<CheckedExperiment, 'experiment' | 'variants'>, reader: TrackingReader, experimentName: string): Promise<Map<string, RunRecord>> {
  const experiment = await reader.findExperiment(experimentName);
  const byName = new Map<string, RunRecord>();
  if (!experiment) return byName;
  const byVariant = new Map(checked.variants.map(({ variant, check }) => [variant.name, { spec: variant.spec, inputsKey: check.inputsKey }]));
  const planned = gridJobs(checked).map((job) => {
    const { spec, inputsKey } = byVariant.get(job.variant)!;
    return { ...job, hash: jobContentHash({ ...job, spec: withSeed(spec, job.seed), inputsKey }) };
  });
  const cached = await findCachedRuns(reader, experiment.experimentId, planned.map((job) => job.hash));
  for (const job of planned) {
    const run = cached.get(job.hash);
    if (run) byName.set(job.name, run);
  }
  return byName;
}
