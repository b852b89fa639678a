/**
 * The sweep loop: a Sweeper says what to run, a Launcher runs it, runJob (./run-job.ts) is each run.
 * This module only joins them: it makes the sweep's parent run (when there is more than one job),
 * turns the sweeper's proposals into self-contained Jobs, hands them to the launcher, judges the
 * variants over their seeds, and gives the kind its sweep-level outputs.
 *
 *   spec → CheckedExperiment → Sweeper.propose → Job[] → Launcher.launch → runJob → kind.run
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { redactDeep, redactSecrets, requiredPassingSeeds, secretsFromEnv, withSeed } from '@xp/core';
import { experimentNameFrom, isPendingExperiment, TrackingError } from '@xp/tracking';
import type { TrackedRun, TrackingReader, TrackingStore } from '@xp/tracking';
import { kindOf } from '../kinds/registry.ts';
import { TAG_DIRECTIONS, TAG_PRIMARY_METRIC } from '../compare/directions.ts';
import type { SweepResult } from '../kinds/types.ts';
import type { CheckedExperiment } from './static-checks.ts';
import { XP_VERSION } from '../version.ts';
import type { Job, JobResult } from './job.ts';
import type { Launcher } from './launcher.ts';
import type { ProposedJob } from './sweeper.ts';
import { LAUNCHERS } from './launchers/index.ts';
import { runJob } from './run-job.ts';
import { jobContentHash, TAG_JOB_HASH } from './job-hash.ts';
import { cachedResult, findCachedRuns, withRunCache } from './run-cache.ts';
import { judgeOverSeeds, type VariantVerdict } from './seed-verdict.ts';
import { SWEEPERS, sweeperFor, type SweeperName } from './sweepers/index.ts';
import { gridJobs } from './sweepers/grid.ts';
import { schedulerFor, type SchedulerSpec } from './schedulers/index.ts';
import { sweepSummaryMetrics } from './sweep-summary.ts';

/** How often, and how far apart, a sweep for a queue asks again for an experiment the server did not give. */
const EXPERIMENT_LOOKUP_TRIES = 6;
const EXPERIMENT_LOOKUP_PAUSE_MS = 5_000;

/** One run's outcome as `xp run --json` prints it. */
export type RunReport = JobResult;

export interface SweepReport {
  experiment: string;
  experimentId: string;
  parentRunId?: string;
  runs: RunReport[];
  /** One verdict per variant over its seeds (a single seed: its run's verdict). */
  variants: VariantVerdict[];
  sweepArtifacts: Record<string, string>;
}

export interface RunSweepOptions {
  checked: CheckedExperiment;
  store: TrackingStore;
  /** Where the store is, for jobs that open it themselves (child processes): an URL or an absolute path. */
  trackingUri: string;
  backend: string;
  log: (line: string) => void;
  signal: AbortSignal;
  resumeFrom?: string;
  /** Restrict to one seed (a resumed run continues its own). */
  onlySeed?: number;
  /** Jobs at once: more than one runs them through the processes launcher. Default 1. */
  jobs?: number;
  /** Cores of this machine; `train.workers: auto` divides them between the concurrent jobs. */
  cores?: number;
  sweeper?: SweeperName;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the jobs run when the caller chooses (the queue); default: in-process, or processes for jobs > 1. */
  launcher?: Launcher;
  /** The launcher only hands the jobs on (`xp run --queue --detach`): no parent run, nothing waited for or judged. */
  detached?: boolean;
  /** Searched for a finished run of each job before it runs (./run-cache.ts); absent (--force, --resume), every job trains. */
  cache?: TrackingReader;
}

/** The runs a grid sweep starts: every variant on every seed (what `xp plan --json` lists). */
export function planRuns(checked: Pick<CheckedExperiment, 'experiment' | 'variants'>, onlySeed?: number): Array<{ name: string; variantName: string; seed: number }> {
  return gridJobs(checked, onlySeed).map(({ name, variant, seed }) => ({ name, variantName: variant, seed }));
}

export async function runSweep(options: RunSweepOptions): Promise<SweepReport> {
  const { checked, store, log, signal } = options;
  const { experiment } = checked;
  const experimentName = experimentNameFrom(experiment.spec, options.env ?? process.env);
  let experimentId = await store.getOrCreateExperiment(experimentName);
  // A server that missed the first lookup (a blip, a slow answer) is asked again for a while when the
  // jobs run elsewhere; training here needs no such patience, it spools.
  for (let tries = 0; options.launcher && isPendingExperiment(experimentId) && tries < EXPERIMENT_LOOKUP_TRIES && !signal.aborted; tries++) {
    await new Promise((resolve) => setTimeout(resolve, EXPERIMENT_LOOKUP_PAUSE_MS));
    experimentId = await store.getOrCreateExperiment(experimentName);
  }
  if (options.launcher && isPendingExperiment(experimentId)) {
    // Jobs elsewhere (a queue) are keyed and cached by the experiment's id, and their workers log to
    // the same server: a sweep that could not look its experiment up would miss the cache and
    // enqueue copies under another key. Training here can spool; enqueueing cannot.
    throw new TrackingError(`${store.description} did not answer when asked for experiment ${JSON.stringify(experimentName)}; a sweep through a queue needs it up (its workers log there): start it, or check the tracking URI`);
  }
  const specFile = resolve(experiment.file);
  const kind = kindOf(experiment.spec);
  const commonTags: Record<string, string> = {
    'xp.specFile': specFile,
    'xp.specHash': createHash('sha256').update(experiment.composed.text).digest('hex'),
    'xp.version': XP_VERSION,
    'xp.kind': experiment.spec.kind,
    'mlflow.source.name': specFile,
    'mlflow.source.type': 'LOCAL',
    ...gitCommitTag(specFile),
    [TAG_DIRECTIONS]: JSON.stringify(kind.metricDirections),
    [TAG_PRIMARY_METRIC]: kind.primaryMetric,
  };

  const jobsAtOnce = Math.max(1, options.jobs ?? 1);
  const sweeperName = options.sweeper ?? sweeperFor(experiment.spec);
  const sweeper = SWEEPERS[sweeperName](checked, { onlySeed: options.onlySeed, jobsAtOnce, log, env: options.env ?? process.env });
  const variantsByName = new Map(checked.variants.map((v) => [v.variant.name, v]));
  const toJob = (proposed: ProposedJob, parentRunId: string | undefined): Job => {
    // A variant a search made after loading travels with its proposal (and is remembered for the verdicts).
    const { made, tags: ownTags, ...identity } = proposed;
    if (made) variantsByName.set(proposed.variant, made);
    const { variant, check } = made ?? variantsByName.get(proposed.variant)!;
    const job: Job = {
      ...identity,
      spec: withSeed(variant.spec, proposed.seed),
      specText: variant.composed.text,
      ...(variant.composed.composed ? { composedFrom: variant.composed.files.map(({ file, sha256 }) => ({ file, sha256 })), groupChoices: variant.composed.choices } : {}),
      specFile,
      check: { params: check.params, withinBudget: check.withinBudget },
      ...(check.inputsKey === undefined ? {} : { inputsKey: check.inputsKey }),
      experimentId,
      parentRunId,
      trackingUri: options.trackingUri,
      backend: options.backend,
      tags: { ...commonTags, ...ownTags },
      cpuShare: Math.max(1, Math.floor((options.cores ?? 1) / jobsAtOnce)),
      resumeFrom: options.resumeFrom,
    };
    // The tag the run cache finds the run by: the same hash every other lookup makes of this job.
    job.tags[TAG_JOB_HASH] = jobContentHash(job);
    return job;
  };

  const first = (await sweeper.propose()) ?? [];
  // Asked once more only to tell a lone run from the first of many.
  const second = first.length === 1 ? await sweeper.propose() : undefined;
  const runs: RunReport[] = [];
  const results: SweepResult[] = [];
  let parent: TrackedRun | undefined;
  let lone: { run: TrackedRun; endStatus: 'FINISHED' | 'FAILED' | 'KILLED' } | undefined;

  // A second answer of [] (a search waiting for the first result) is asked again after the first launch.
  let pending: Array<typeof first> = first.length === 0 ? [] : [first, ...(second && second.length > 0 ? [second] : [])];
  const cachedRun = async (job: Job) => {
    const hash = jobContentHash(job);
    return options.cache ? (await findCachedRuns(options.cache, job.experimentId, [hash]).catch(() => new Map())).get(hash) : undefined;
  };
  // A lone run in this process; elsewhere (a queue) it goes through the launcher like any job.
  const loneHere = second === null && !options.launcher;
  const cachedLone = loneHere ? await cachedRun(toJob(first[0], undefined)) : undefined;
  if (loneHere && cachedLone) {
    const result = cachedResult(first[0], cachedLone);
    log(`${result.name}: cached (run ${result.runId}); not trained again (--force reruns it)`);
    sweeper.onResult(result);
    runs.push(result);
    pending = [];
  } else if (loneHere) {
    // A lone run has no parent: it also receives the sweep-level outputs, so it ends after them.
    const job = toJob(first[0], undefined);
    const ran = await runJob(job, { store, log, signal, keepOpen: true });
    sweeper.onResult(ran.result);
    runs.push(ran.result);
    results.push({ variantName: job.name, spec: job.spec, outcome: ran.outcome, runId: ran.result.runId });
    lone = ran.open;
    pending = [];
  } else if (first.length > 0 && second !== null && !options.detached) {
    parent = await store.createRun(experimentId, { name: `${experiment.spec.name}-sweep`, tags: { ...commonTags, 'xp.sweep': 'parent' } });
    await parent.logParams({ variants: String(checked.variants.length), seeds: experiment.seeds.join(',') });
    // As every run's (run-job.ts): no URL password nor MLflow secret in the artifacts (#26.4).
    const secrets = secretsFromEnv(process.env);
    writeFileSync(join(parent.artifactDir, 'spec.yaml'), redactSecrets(experiment.composed.text, secrets));
    writeFileSync(join(parent.artifactDir, 'resolved-spec.json'), `${JSON.stringify(redactDeep(experiment.spec, secrets), null, 2)}\n`);
    const parentFiles = ['spec.yaml', 'resolved-spec.json'];
    if (experiment.composed.composed) {
      writeFileSync(join(parent.artifactDir, 'composed-from.json'), `${JSON.stringify(experiment.composed.files.map(({ file, sha256 }) => ({ file, sha256 })), null, 2)}\n`);
      parentFiles.push('composed-from.json');
    }
    for (const file of parentFiles) await parent.logArtifact(join(parent.artifactDir, file));
  }

  // The sweeper hears every report; a scheduler (ASHA, median stopping) may stop the job it came from.
  const scheduler = schedulerFor(experiment.spec.sweep?.scheduler as SchedulerSpec | undefined);
  const onReport = (job: string, step: number, metrics: Record<string, number>): 'continue' | 'stop' => {
    const sweeperSays = sweeper.onReport(job, step, metrics);
    const schedulerSays = scheduler?.onReport(job, step, metrics) ?? 'continue';
    if (schedulerSays === 'stop') log(`${job}: stopped by the scheduler at step ${step}`);
    return sweeperSays === 'stop' || schedulerSays === 'stop' ? 'stop' : 'continue';
  };
  const chosen: Launcher =
    options.launcher ??
    (jobsAtOnce > 1 ? LAUNCHERS.processes({ jobs: jobsAtOnce, cwd: options.cwd ?? process.cwd(), env: options.env ?? process.env }) : LAUNCHERS['in-process']({ store }));
  const launcher = options.cache ? withRunCache(chosen, options.cache) : chosen;
  const proposals = async function* () {
    yield* pending;
    if (pending.length === 0) return;
    for (let proposed = await sweeper.propose(); proposed !== null; proposed = await sweeper.propose()) yield proposed;
  };
  for await (const proposed of proposals()) {
    if (signal.aborted) break;
    // Launches end when all their jobs have, so a sweeper cannot be waiting on a running job here.
    if (proposed.length === 0) throw new Error(`the ${sweeperName} sweeper proposed no job while none was running`);
    const jobs = proposed.map((p) => toJob(p, parent?.runId));
    const launched = await launcher.launch(jobs, { log, onReport, onResult: (result) => sweeper.onResult(result) }, signal);
    for (const [index, result] of launched.entries()) {
      if (!result) continue;
      runs.push(result);
      results.push({ variantName: result.name, spec: jobs[index].spec, runId: result.runId, outcome: { status: result.status, metrics: result.metrics, artifacts: result.artifacts, message: result.message } });
    }
    // Handed on, not run: what is known now is only which jobs were cached.
    if (options.detached) {
      await sweeper.close?.();
      return { experiment: experimentName, experimentId, runs, variants: [], sweepArtifacts: {} };
    }
  }
  await sweeper.close?.();

  let sweepArtifacts: Record<string, string> = {};
  const sweepOwner = parent ?? lone?.run;
  if (kind.afterSweep && sweepOwner && results.length > 0) {
    try {
      sweepArtifacts = await kind.afterSweep(results, sweepOwner, log);
    } catch (error) {
      log(`sweep outputs failed: ${(error as Error).message}`);
    }
  }
  if (lone) await lone.run.end(lone.endStatus);
  const seedsPerVariant = options.onlySeed === undefined ? experiment.seeds.length : 1;
  const variants = judgeOverSeeds(runs, (variant, count) => requiredPassingSeeds(variantsByName.get(variant)?.variant.spec ?? experiment.spec, count), seedsPerVariant);
  if (parent) {
    const direction = kind.metricDirections[kind.primaryMetric] ?? 'max';
    const summary = sweepSummaryMetrics(runs, kind.primaryMetric, direction);
    const now = Date.now();
    if (Object.keys(summary).length > 0) await parent.logMetrics(Object.entries(summary).map(([key, value]) => ({ key, value, step: 0, timestamp: now })));
    const status = sweepStatus(runs, variants);
    await parent.setTags({ 'xp.status': status, 'xp.variantVerdicts': JSON.stringify(variants).slice(0, 5000) });
    await parent.end(status === 'passed' ? 'FINISHED' : status === 'killed' ? 'KILLED' : 'FAILED');
  }
  return { experiment: experimentName, experimentId, parentRunId: parent?.runId, runs, variants, sweepArtifacts };
}

/**
 * The sweep as a whole: killed if interrupted, failed if a run crashed or a variant failed its verdict
 * over seeds, else passed (a failing seed among enough passing ones does not fail the sweep).
 */
export function sweepStatus(runs: readonly Pick<RunReport, 'status'>[], variants: readonly VariantVerdict[]): 'passed' | 'failed' | 'killed' {
  if (runs.some((r) => r.status === 'killed') || variants.some((v) => v.verdict === 'killed')) return 'killed';
  if (runs.some((r) => r.status === 'error') || variants.some((v) => v.verdict === 'failed')) return 'failed';
  return 'passed';
}

function gitCommitTag(file: string): Record<string, string> {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: resolve(file, '..'), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return /^[0-9a-f]{40}$/.test(commit) ? { 'mlflow.source.git.commit': commit } : {};
  } catch {
    return {};
  }
}
