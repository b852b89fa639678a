/**
 * runJob: the only way any run happens. It creates the tracked run, records what the run is (params,
 * spec, budget), trains it through its kind unless it is over budget, and ends it. Launchers call it
 * in this process or in a child; the sweep loop never trains anything itself.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flattenToDotted, redactDeep, redactSecrets, secretsFromEnv } from '@xp/core';
import type { MetricPoint, TrackedRun, TrackingStore } from '@xp/tracking';
import { ensureKind } from '../kinds/plugins.ts';
import { kindOf } from '../kinds/registry.ts';
import type { RunOutcome } from '../kinds/types.ts';
import { overBudgetMessage } from '../verdict/budget.ts';
import { PRUNED, type Job, type JobResult } from './job.ts';

export interface JobContext {
  store: TrackingStore;
  log: (line: string) => void;
  signal: AbortSignal;
  /** Hears every metric point the run logs, as it is logged (what sweepers and live views follow). */
  report?: (step: number, metrics: Record<string, number>) => void;
  /**
   * Leave the run open and hand it back, for a lone run that still receives the sweep-level outputs
   * (the kind's afterSweep) before it ends.
   */
  keepOpen?: boolean;
}

export interface RanJob {
  result: JobResult;
  outcome: RunOutcome;
  /** Set with keepOpen: the run, still open, and how to end it. */
  open?: { run: TrackedRun; endStatus: 'FINISHED' | 'FAILED' | 'KILLED' };
}

export async function runJob(job: Job, ctx: JobContext): Promise<RanJob> {
  const { spec, name } = job;
  const params = flattenToDotted(spec);
  const tracked = await ctx.store.createRun(job.experimentId, {
    name: mlflowRunName(job),
    parentRunId: job.parentRunId,
    tags: { ...job.tags, 'xp.variant': job.variant, 'xp.seed': String(job.seed), 'xp.backend': job.backend },
  });
  let lastStep: number | undefined;
  const report = ctx.report;
  const run = report
    ? reportingRun(tracked, (step, metrics) => {
        lastStep = Math.max(step, lastStep ?? step);
        report(step, metrics);
      })
    : tracked;
  await run.logParams({ ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])), ...groupParams(job.groupChoices) });
  // A URL's password (tracking.uri: http://user:pass@…) and MLflow's secrets never reach the artifacts (#26.4).
  const secrets = secretsFromEnv(process.env);
  writeFileSync(join(run.artifactDir, 'spec.yaml'), redactSecrets(job.specText, secrets));
  writeFileSync(join(run.artifactDir, 'resolved-spec.json'), `${JSON.stringify(redactDeep(spec, secrets), null, 2)}\n`);
  const artifacts = ['spec.yaml', 'resolved-spec.json'];
  if (job.composedFrom) {
    writeFileSync(join(run.artifactDir, 'composed-from.json'), `${JSON.stringify(job.composedFrom, null, 2)}\n`);
    artifacts.push('composed-from.json');
  }
  for (const file of artifacts) await run.logArtifact(join(run.artifactDir, file));
  const { check } = job;
  const budgetTags: Record<string, string> = { 'xp.withinBudget': String(check.withinBudget) };
  if (check.params !== null) budgetTags['xp.params'] = String(check.params);
  await run.setTags(budgetTags);
  if (check.params !== null) await run.logMetrics([{ key: 'params', value: check.params, step: 0 }]);

  let outcome: RunOutcome;
  const started = Date.now();
  if (!check.withinBudget) {
    const message = overBudgetMessage(check.params, spec.constraints);
    ctx.log(`${name}: ${message}`);
    outcome = { status: 'failed', metrics: {}, artifacts: {}, message };
  } else {
    ctx.log(`── ${name} ──`);
    try {
      // A child process or a queue worker imports a plugin kind here, from the job's spec file.
      await ensureKind(spec.kind, job.specFile);
      outcome = await kindOf(spec).run({
        spec,
        variantName: job.variant,
        specFile: job.specFile,
        run,
        backend: job.backend,
        log: ctx.log,
        signal: ctx.signal,
        trackingUri: job.trackingUri,
        report: (step, metrics) => {
          lastStep = Math.max(step, lastStep ?? step);
          report?.(step, metrics);
        },
        resumeFrom: job.resumeFrom,
        cpuShare: job.cpuShare,
      });
    } catch (error) {
      outcome = { status: 'error', metrics: {}, artifacts: {}, message: (error as Error).stack ?? String(error) };
      ctx.log(`${name}: crashed: ${(error as Error).message}`);
    }
  }
  await run.logMetrics([{ key: 'wall_time_s', value: (Date.now() - started) / 1000, step: 0 }]);
  // Stopped by the scheduler, not by the user: the run is pruned (MLflow has no such status: KILLED).
  const status: JobResult['status'] = outcome.status === 'killed' && ctx.signal.reason === PRUNED ? 'pruned' : outcome.status;
  if (status === 'pruned') outcome = { ...outcome, message: `stopped early by the sweep's scheduler${lastStep === undefined ? '' : ` after step ${lastStep}`}` };
  await run.setTags({ 'xp.status': status, ...(outcome.message ? { 'xp.message': outcome.message.slice(0, 5000) } : {}), ...(outcome.tags ?? {}) });
  const endStatus = status === 'passed' ? 'FINISHED' : status === 'killed' || status === 'pruned' ? 'KILLED' : 'FAILED';
  if (!ctx.keepOpen) await run.end(endStatus);
  const result: JobResult = {
    name,
    variant: job.variant,
    seed: job.seed,
    runId: run.runId,
    status,
    params,
    metrics: outcome.metrics,
    artifacts: { 'spec.yaml': join(run.artifactDir, 'spec.yaml'), ...outcome.artifacts },
    message: outcome.message,
  };
  return { result, outcome, open: ctx.keepOpen ? { run, endStatus } : undefined };
}

/**
 * The name MLflow's runs list shows: the job's (a sweep's variant, with `_seed=N` over several seeds).
 * A spec without a sweep has only its own name for every run, so there the seed is added: the list then
 * says which seed each run of `cnn-19816` trained.
 */
export function mlflowRunName(job: Pick<Job, 'name' | 'seed' | 'spec'>): string {
  return job.name === job.spec.name ? `${job.name}_seed=${job.seed}` : job.name;
}

/** The run, with every metric point it logs also told to `report`, grouped by step. */
function reportingRun(run: TrackedRun, report: NonNullable<JobContext['report']>): TrackedRun {
  return {
    get runId() {
      return run.runId;
    },
    get experimentId() {
      return run.experimentId;
    },
    get artifactDir() {
      return run.artifactDir;
    },
    logParams: (params) => run.logParams(params),
    setTags: (tags) => run.setTags(tags),
    logArtifact: (path, artifactPath) => run.logArtifact(path, artifactPath),
    end: (status) => run.end(status),
    async logMetrics(points: MetricPoint[]) {
      await run.logMetrics(points);
      const bySteps = new Map<number, Record<string, number>>();
      for (const point of points) bySteps.set(point.step, { ...bySteps.get(point.step), [point.key]: point.value });
      for (const [step, metrics] of bySteps) report(step, metrics);
    },
  };
}

/**
 * The config group options a composed spec chose, as params: `model` → `seed-net`. A group placed at a
 * package of its own is `optimizer/train` (MLflow's keys take no '@'); `@_global_` is the group's name.
 */
export function groupParams(choices: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(choices ?? {}).map(([label, option]) => [label.replace(/@_global_$/, '').replace('@', '/'), option]));
}
