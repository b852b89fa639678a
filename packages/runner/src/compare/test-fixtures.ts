/**
 * Scripted runs for the compare tests (unit and end-to-end): written into a real file store through the
 * tracking API, with the tags, params and per-epoch histories `xp run` records. Test-only.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrackingStore } from '@xp/tracking';

export interface ScriptedRun {
  name: string;
  parentRunId?: string;
  tags?: Record<string, string>;
  params?: Record<string, string | number | boolean>;
  /** Per-step histories; the step of values[i] is firstStep + i. */
  histories?: Record<string, number[]>;
  firstStep?: number;
  /** Single values logged at step 0 (e.g. params, wall_time_s). */
  metrics?: Record<string, number>;
  /** Written as the run's spec.yaml artifact, as `xp run` does. */
  specText?: string;
  end?: 'FINISHED' | 'FAILED' | 'KILLED' | null;
}

export const CNN_TAGS: Record<string, string> = {
  'xp.kind': 'cnn-classifier',
  'xp.primaryMetric': 'test_accuracy',
  'xp.metricDirections': JSON.stringify({ test_accuracy: 'max', test_loss: 'min', train_loss: 'min', epoch_time_s: 'min' }),
};

export async function recordRun(store: TrackingStore, experimentId: string, run: ScriptedRun): Promise<string> {
  const tracked = await store.createRun(experimentId, { name: run.name, parentRunId: run.parentRunId, tags: run.tags });
  if (run.params) await tracked.logParams(Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])));
  for (const [key, values] of Object.entries(run.histories ?? {})) {
    await tracked.logMetrics(values.map((value, i) => ({ key, value, step: (run.firstStep ?? 1) + i })));
  }
  if (run.metrics) await tracked.logMetrics(Object.entries(run.metrics).map(([key, value]) => ({ key, value, step: 0 })));
  if (run.specText !== undefined) {
    writeFileSync(path.join(tracked.artifactDir, 'spec.yaml'), run.specText);
    await tracked.logArtifact(path.join(tracked.artifactDir, 'spec.yaml'));
  }
  if (run.end !== null) await tracked.end(run.end ?? (run.tags?.['xp.status'] === 'passed' ? 'FINISHED' : 'FAILED'));
  return tracked.runId;
}

export interface SeedRun {
  variant: string;
  seed: number;
  status: 'passed' | 'failed' | 'error' | 'killed';
  /** test_accuracy per epoch, from epoch 1. */
  accuracy: number[];
  params?: Record<string, string | number | boolean>;
}

/**
 * A multi-seed CNN sweep as the seeds-aware `xp run` records it: a parent run, then one child per
 * variant and seed named `<variant>_seed=<seed>`, tagged xp.variant / xp.seed / xp.status.
 */
export async function recordSeedSweep(
  store: TrackingStore,
  experiment: string,
  runs: SeedRun[],
  constraints: { minTestAccuracy?: number; minPassingSeeds?: number } = {},
): Promise<{ experimentId: string; parentRunId: string; runIds: string[] }> {
  const experimentId = await store.getOrCreateExperiment(experiment);
  const seeds = [...new Set(runs.map((r) => r.seed))];
  const parentRunId = await recordRun(store, experimentId, {
    name: `${experiment}-sweep`,
    tags: { ...CNN_TAGS, 'xp.sweep': 'parent' },
    params: { variants: new Set(runs.map((r) => r.variant)).size, seeds: seeds.join(',') },
    end: 'FINISHED',
  });
  const runIds: string[] = [];
  for (const run of runs) {
    const params: Record<string, string | number | boolean> = { kind: 'cnn-classifier', seed: run.seed, 'train.epochs': run.accuracy.length, ...(run.params ?? {}) };
    if (constraints.minTestAccuracy !== undefined) params['constraints.minTestAccuracy'] = constraints.minTestAccuracy;
    if (constraints.minPassingSeeds !== undefined) params['constraints.minPassingSeeds'] = constraints.minPassingSeeds;
    runIds.push(
      await recordRun(store, experimentId, {
        name: `${run.variant}_seed=${run.seed}`,
        parentRunId,
        tags: { ...CNN_TAGS, 'xp.variant': run.variant, 'xp.seed': String(run.seed), 'xp.status': run.status, 'xp.withinBudget': 'true', 'xp.params': '19816' },
        params,
        histories: { test_accuracy: run.accuracy, test_loss: run.accuracy.map((a) => 1 - a) },
        metrics: { params: 19816, wall_time_s: 1.5 },
      }),
    );
  }
  return { experimentId, parentRunId, runIds };
}

/**
 * experiments/cnn-variants.yaml recorded as `xp run` records it (params are each variant's resolved spec,
 * spec.yaml its text): the variants within budget trained for `accuracy.length` epochs, those over budget
 * refused untrained, with only their parameter count and wall time.
 */
export async function recordCnnVariants(
  store: TrackingStore,
  specFile: string,
  options: { sets?: string[]; accuracy: (variant: string) => number[] },
): Promise<{ experimentId: string; parentRunId: string; variants: string[] }> {
  const { flattenToDotted } = await import('@xp/core');
  const { loadAndCheck } = await import('../run/static-checks.ts');
  const checked = await loadAndCheck(specFile, { sets: options.sets });
  const { spec, source } = checked.experiment;
  const experimentId = await store.getOrCreateExperiment(spec.tracking?.experiment ?? spec.name);
  const parentRunId = await recordRun(store, experimentId, {
    name: `${spec.name}-sweep`,
    tags: { ...CNN_TAGS, 'xp.sweep': 'parent', 'xp.specFile': specFile },
    params: { variants: checked.variants.length },
    specText: source.text,
    end: 'FINISHED',
  });
  for (const { variant, check } of checked.variants) {
    const accuracy = check.withinBudget ? options.accuracy(variant.name) : [];
    const passed = accuracy.length > 0 && accuracy[accuracy.length - 1] >= (variant.spec.constraints?.minTestAccuracy ?? 0);
    await recordRun(store, experimentId, {
      name: variant.name,
      parentRunId,
      tags: {
        ...CNN_TAGS,
        'xp.variant': variant.name,
        'xp.seed': String(variant.spec.seed),
        'xp.status': passed ? 'passed' : 'failed',
        'xp.withinBudget': String(check.withinBudget),
        ...(check.params !== null ? { 'xp.params': String(check.params) } : {}),
      },
      params: flattenToDotted(variant.spec) as Record<string, string | number | boolean>,
      histories: accuracy.length ? { test_accuracy: accuracy, test_loss: accuracy.map((a) => 1 - a) } : {},
      metrics: { ...(check.params !== null ? { params: check.params } : {}), wall_time_s: accuracy.length ? 60 : 0.01 },
      specText: source.text,
    });
  }
  return { experimentId, parentRunId, variants: checked.variants.map(({ variant }) => variant.name) };
}

export interface SearchTrial {
  /** 1-based, as xp names trials. */
  trial: number;
  status: 'passed' | 'failed' | 'pruned';
  /** test_accuracy per epoch, from epoch 1: a pruned trial's stops where the scheduler stopped it. */
  accuracy: number[];
  params: Record<string, string | number>;
}

/**
 * A search of the CNN as `xp run` records it: a parent run, then one child per trial named trial-NN,
 * tagged xp.search and xp.trial, its spec.yaml the search's spec (whose sweep says what was drawn
 * from which distribution); a pruned trial ends KILLED with xp.status=pruned, its history cut where it
 * was stopped.
 */
export async function recordSearch(
  store: TrackingStore,
  experiment: string,
  search: 'random' | 'optuna',
  specText: string,
  trials: SearchTrial[],
): Promise<{ experimentId: string; parentRunId: string; runIds: Map<number, string> }> {
  const experimentId = await store.getOrCreateExperiment(experiment);
  const parentRunId = await recordRun(store, experimentId, {
    name: `${experiment}-sweep`,
    tags: { ...CNN_TAGS, 'xp.sweep': 'parent' },
    params: { variants: trials.length, seeds: '1' },
    specText,
    end: 'FINISHED',
  });
  const runIds = new Map<number, string>();
  const epochs = Math.max(...trials.map((t) => t.accuracy.length));
  for (const trial of trials) {
    const name = `trial-${String(trial.trial).padStart(2, '0')}`;
    const runId = await recordRun(store, experimentId, {
      name,
      parentRunId,
      tags: { ...CNN_TAGS, 'xp.variant': name, 'xp.seed': '1', 'xp.status': trial.status, 'xp.withinBudget': 'true', 'xp.params': '19816', 'xp.search': search, 'xp.trial': String(trial.trial) },
      params: { kind: 'cnn-classifier', seed: 1, 'train.epochs': epochs, ...trial.params },
      histories: { test_accuracy: trial.accuracy, test_loss: trial.accuracy.map((a) => 1 - a) },
      metrics: { params: 19816, wall_time_s: trial.accuracy.length * 10 },
      specText,
      end: trial.status === 'pruned' ? 'KILLED' : trial.status === 'passed' ? 'FINISHED' : 'FAILED',
    });
    runIds.set(trial.trial, runId);
  }
  return { experimentId, parentRunId, runIds };
}
