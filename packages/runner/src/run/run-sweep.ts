/**
 * Running a checked experiment: one tracked run per variant (under a parent run when there are several),
 * each through its kind's handler. A variant over its parameter budget is recorded as failed and not
 * trained; the others still run. A handler that throws marks its run 'error' and the sweep goes on.
 * With `parallel` (xp run --jobs N), the variants run in child `xp run` processes instead
 * (./variant-processes.ts), each given `parentRunId`.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { flattenToDotted, requiredPassingSeeds, withSeed, type ExperimentSpec } from '@xp/core';
import { kindOf } from '../kinds/registry.ts';
import { TAG_DIRECTIONS, TAG_PRIMARY_METRIC } from '../compare/directions.ts';
import type { RunOutcome, SweepResult } from '../kinds/types.ts';
import type { TrackedRun, TrackingStore } from '../tracking/types.ts';
import type { CheckedExperiment } from '../cli/static-checks.ts';
import { XP_VERSION } from '../version.ts';
import { runVariantProcesses } from './variant-processes.ts';
import { judgeOverSeeds, type VariantVerdict } from './seed-verdict.ts';

export interface RunReport {
  /** The variant's name, with `_seed=N` when the variant runs on several seeds. */
  name: string;
  /** The variant's name alone. */
  variant: string;
  seed: number;
  runId: string;
  status: RunOutcome['status'];
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  artifacts: Record<string, string>;
  message?: string;
}

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
  backend: string;
  log: (line: string) => void;
  signal: AbortSignal;
  resumeFrom?: string;
  /** Run the variants of a sweep in up to `jobs` child processes, each `xp <args> --only-variant …`. */
  parallel?: { jobs: number; args: string[]; cwd: string; env: NodeJS.ProcessEnv };
  /** Set in such a child: its variant's run goes under this existing parent, and the sweep-level work is the parent's. */
  parentRunId?: string;
  /** Set in such a child: the one seed it runs. */
  onlySeed?: number;
}

/** One run of the sweep: a variant on one seed. */
interface PlannedRun {
  name: string;
  variantName: string;
  seed: number;
  spec: ExperimentSpec;
  check: CheckedExperiment['variants'][number]['check'];
}

/** Every variant once per seed, variant by variant; run names gain `_seed=N` where there are several seeds. */
export function planRuns(checked: CheckedExperiment, onlySeed?: number): PlannedRun[] {
  const seeds = onlySeed === undefined ? checked.experiment.seeds : [onlySeed];
  const named = checked.experiment.seeds.length > 1;
  return checked.variants.flatMap(({ variant, check }) =>
    seeds.map((seed) => ({ name: named ? `${variant.name}_seed=${seed}` : variant.name, variantName: variant.name, seed, spec: withSeed(variant.spec, seed), check })),
  );
}

export async function runSweep(options: RunSweepOptions): Promise<SweepReport> {
  const { checked, store, log, signal } = options;
  const { experiment } = checked;
  const experimentName = experiment.spec.tracking?.experiment ?? experiment.spec.name;
  const experimentId = await store.getOrCreateExperiment(experimentName);
  const specFile = resolve(experiment.file);
  const commonTags: Record<string, string> = {
    'xp.specFile': specFile,
    'xp.specHash': createHash('sha256').update(experiment.source.text).digest('hex'),
    'xp.version': XP_VERSION,
    'xp.kind': experiment.spec.kind,
    'mlflow.source.name': specFile,
    'mlflow.source.type': 'LOCAL',
    ...gitCommitTag(specFile),
  };
  const kind = kindOf(experiment.spec);
  commonTags[TAG_DIRECTIONS] = JSON.stringify(kind.metricDirections);
  commonTags[TAG_PRIMARY_METRIC] = kind.primaryMetric;

  const planned = planRuns(checked, options.onlySeed);
  let parent: TrackedRun | undefined;
  if (planned.length > 1 && options.parentRunId === undefined) {
    parent = await store.createRun(experimentId, { name: `${experiment.spec.name}-sweep`, tags: { ...commonTags, 'xp.sweep': 'parent' } });
    await parent.logParams({ variants: String(checked.variants.length), seeds: checked.experiment.seeds.join(',') });
    writeSpecArtifacts(parent, experiment.source.text, experiment.spec);
    await logDirectoryArtifacts(parent, ['spec.yaml', 'resolved-spec.json']);
  }

  const runs: RunReport[] = [];
  const results: SweepResult[] = [];
  let loneRun: { run: TrackedRun; endStatus: 'FINISHED' | 'FAILED' | 'KILLED' } | undefined;
  const parentRunId = parent?.runId ?? options.parentRunId;
  const parallel = parent && options.parallel && options.parallel.jobs > 1 ? options.parallel : undefined;
  if (parallel && parent) {
    const reports = await runVariantProcesses({
      ...parallel,
      runs: planned.map(({ name, variantName, seed }) => ({ name, variant: variantName, seed })),
      parentRunId: parent.runId,
      log,
      signal,
    });
    for (const [index, report] of reports.entries()) {
      if (!report) continue;
      const { spec, variantName, seed } = planned[index];
      runs.push({ ...report, variant: variantName, seed, params: flattenToDotted(spec) });
      results.push({ variantName: report.name, spec, runId: report.runId, outcome: { status: report.status, metrics: report.metrics, artifacts: report.artifacts, message: report.message } });
    }
  }
  for (const { name, variantName, seed, spec, check } of parallel ? [] : planned) {
    if (signal.aborted) break;
    const params = flattenToDotted(spec);
    const run = await store.createRun(experimentId, {
      name,
      parentRunId,
      tags: { ...commonTags, 'xp.variant': variantName, 'xp.seed': String(seed), 'xp.backend': options.backend },
    });
    await run.logParams(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])));
    writeSpecArtifacts(run, experiment.source.text, spec);
    await logDirectoryArtifacts(run, ['spec.yaml', 'resolved-spec.json']);
    const budgetTags: Record<string, string> = { 'xp.withinBudget': String(check.withinBudget) };
    if (check.params !== null) budgetTags['xp.params'] = String(check.params);
    await run.setTags(budgetTags);
    if (check.params !== null) await run.logMetrics([{ key: 'params', value: check.params, step: 0 }]);

    let outcome: RunOutcome;
    const started = Date.now();
    if (!check.withinBudget) {
      const message = `over budget: ${check.params} trainable parameters > constraints.maxParams ${spec.constraints?.maxParams}; not trained`;
      log(`${name}: ${message}`);
      outcome = { status: 'failed', metrics: {}, artifacts: {}, message };
    } else {
      log(`── ${name} ──`);
      try {
        outcome = await kind.run({ spec, variantName, specFile, run, backend: options.backend, log, signal, resumeFrom: options.resumeFrom });
      } catch (error) {
        outcome = { status: 'error', metrics: {}, artifacts: {}, message: (error as Error).stack ?? String(error) };
        log(`${name}: crashed: ${(error as Error).message}`);
      }
    }
    const wallSeconds = (Date.now() - started) / 1000;
    await run.logMetrics([{ key: 'wall_time_s', value: wallSeconds, step: 0 }]);
    await run.setTags({ 'xp.status': outcome.status, ...(outcome.message ? { 'xp.message': outcome.message.slice(0, 5000) } : {}), ...(outcome.tags ?? {}) });
    const endStatus = outcome.status === 'passed' ? 'FINISHED' : outcome.status === 'killed' ? 'KILLED' : 'FAILED';
    // A lone run also receives the sweep-level outputs below, so it ends after them.
    if (parentRunId) await run.end(endStatus);
    else loneRun = { run, endStatus };
    const artifacts = { 'spec.yaml': join(run.artifactDir, 'spec.yaml'), ...outcome.artifacts };
    runs.push({ name, variant: variantName, seed, runId: run.runId, status: outcome.status, params, metrics: outcome.metrics, artifacts, message: outcome.message });
    results.push({ variantName: name, spec, outcome, runId: run.runId });
  }

  let sweepArtifacts: Record<string, string> = {};
  const sweepOwner = parent ?? loneRun?.run;
  if (kind.afterSweep && sweepOwner && results.length > 0) {
    try {
      sweepArtifacts = await kind.afterSweep(results, sweepOwner, log);
    } catch (error) {
      log(`sweep outputs failed: ${(error as Error).message}`);
    }
  }
  if (loneRun) await loneRun.run.end(loneRun.endStatus);
  const seedsPerVariant = options.onlySeed === undefined ? checked.experiment.seeds.length : 1;
  const specOf = new Map(checked.variants.map(({ variant }) => [variant.name, variant.spec]));
  const variants = judgeOverSeeds(runs, (variant, count) => requiredPassingSeeds(specOf.get(variant) ?? experiment.spec, count), seedsPerVariant);
  if (parent) {
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

function writeSpecArtifacts(run: TrackedRun, text: string, spec: ExperimentSpec): void {
  writeFileSync(join(run.artifactDir, 'spec.yaml'), text);
  writeFileSync(join(run.artifactDir, 'resolved-spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
}

async function logDirectoryArtifacts(run: TrackedRun, names: string[]): Promise<void> {
  for (const name of names) await run.logArtifact(join(run.artifactDir, name));
}

function gitCommitTag(file: string): Record<string, string> {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: resolve(file, '..'), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return /^[0-9a-f]{40}$/.test(commit) ? { 'mlflow.source.git.commit': commit } : {};
  } catch {
    return {};
  }
}
