/**
 * Builds what `xp compare` shows from the tracking store: one row per run of the latest sweep, the runs
 * grouped by variant over their seeds, what varied between them (under the sweep's axes), and the chosen
 * metric best first. Formatting is elsewhere (format-*.ts).
 */
import { UnknownExperimentError } from '@xp/tracking';
import type { RunRecord, TrackingReader } from '@xp/tracking';
import type { MetricDirection } from '../kinds/types.ts';
import { layoutAxes, loadSweepShape, type AxisGroup, type AxisLayout } from './axes.ts';
import { curveMetricOf, directionsOf, guessDirection, primaryMetricOf } from './directions.ts';
import { groupByVariant, seedOf, variantOf, type VariantGroup } from './groups.ts';
import { splitVariantsByConfiguration } from './config-variants.ts';
import { epochsTrained, firstStepReaching, isEpochBased, MetricHistories, THRESHOLD_METRIC, THRESHOLD_PARAM } from './history.ts';
import type { ComparedRun } from './compared-run.ts';
import { selectRuns } from './select-runs.ts';
import { PRUNED, standing, summarizeSearch, type SearchSummary } from './search.ts';

export type { ComparedRun } from './compared-run.ts';

export interface ComparisonReport {
  experiment: string;
  metric: string;
  /** The metric's own direction (from its kind): which end is better. */
  direction: MetricDirection;
  /** How the rows are sorted: asc = lowest first. Defaults to best first. */
  order: 'asc' | 'desc';
  /** Params whose values differ between the compared runs, in name order (the seed is not one: it has its own column). */
  varied: string[];
  /** The varied params under the sweep axes that varied them. */
  axes: AxisGroup[];
  /** Varied params that follow an axis one-to-one (where a swept var is used). */
  derived: AxisLayout['derived'];
  /** Best first, runs without the metric last; where variants ran on several seeds, variant by variant in the groups' order. */
  runs: ComparedRun[];
  /** One per variant, best mean first. */
  groups: VariantGroup[];
  /** Whether some variant has several runs (seeds) in the selection. */
  grouped: boolean;
  /** Every metric some compared run recorded. */
  metrics: string[];
  /** What a history's step counts. */
  unit: 'epoch' | 'step';
  /** The sweep's parent run, when the rows are one sweep's children. */
  parentRunId: string | null;
  /** When the runs are a search's trials (random, optuna): what it drew, how many were pruned, the best. */
  search: SearchSummary | null;
}

export interface CompareOptions {
  /** Default: the only experiment holding runs; otherwise the user has to say. */
  experiment?: string;
  metric?: string;
  order?: 'asc' | 'desc';
  all?: boolean;
  now?: number;
}

/** Thrown when no --experiment was given and more than one experiment could be meant. */
export class AmbiguousExperimentError extends Error {
  constructor(readonly candidates: string[]) {
    super(`several experiments hold runs; choose one with --experiment: ${candidates.join(', ')}`);
    this.name = 'AmbiguousExperimentError';
  }
}

/** Thrown for --metric naming a metric none of the compared runs recorded. */
export class UnknownMetricError extends Error {
  constructor(readonly metric: string, readonly existing: string[]) {
    super(
      `no metric named ${JSON.stringify(metric)} in the compared runs; ` +
        (existing.length ? `metrics: ${existing.join(', ')}` : 'they recorded no metrics'),
    );
    this.name = 'UnknownMetricError';
  }
}

export async function buildComparison(reader: TrackingReader, options: CompareOptions = {}, histories = new MetricHistories(reader)): Promise<ComparisonReport> {
  const { name, runs: allRuns } = await resolveExperiment(reader, options.experiment);
  const { runs: selected, parent } = selectRuns(allRuns, { all: options.all ?? false });
  const metrics = [...new Set(selected.flatMap((run) => Object.keys(run.metrics)))].sort();
  if (options.metric !== undefined && selected.length && !metrics.includes(options.metric)) throw new UnknownMetricError(options.metric, metrics);
  const metric = options.metric ?? firstDefined(selected.map(primaryMetricOf)) ?? metrics[0] ?? '';
  const direction: MetricDirection = firstDefined(selected.map((run) => directionsOf(run)[metric])) ?? guessDirection(metric);
  const order = options.order ?? (direction === 'min' ? 'asc' : 'desc');
  const sort: MetricDirection = order === 'asc' ? 'min' : 'max';
  const now = options.now ?? Date.now();

  // One variant name over several configurations (overrides that differ) is several variants.
  const rows = splitVariantsByConfiguration(await Promise.all(selected.map((run) => toComparedRun(run, now, histories, metric))));
  // A run stopped early ranks after those that completed, whatever its metric said on the way.
  rows.sort((a, b) => standing(a, metric) - standing(b, metric) || compareByMetric(a.metrics[metric], b.metrics[metric], sort) || a.startTime - b.startTime);
  const expectedSeeds = parent?.params.seeds ? parent.params.seeds.split(',').filter(Boolean).length : undefined;
  const groups = groupByVariant(rows, { metric, direction: sort, expectedSeeds });
  const grouped = groups.some((group) => group.runs.length > 1 || group.notCounted.length > 0);
  // Over seeds, the runs follow their variants (best variant first, its seeds best first, then the runs not counted).
  if (grouped) rows.splice(0, rows.length, ...groups.flatMap((group) => [...group.runs, ...group.notCounted]));

  const varied = variedParams(selected);
  const shape = varied.length ? await loadSweepShape(reader, parent ? [parent, ...selected] : selected) : null;
  const { axes, derived } = layoutAxes(varied, shape, selected);
  const unit = selected.some(isEpochBased) ? 'epoch' : 'step';
  return {
    experiment: name,
    metric,
    direction,
    order,
    varied,
    axes,
    derived,
    runs: rows,
    groups,
    grouped,
    metrics,
    unit,
    parentRunId: parent?.runId ?? null,
    search: summarizeSearch(selected, rows, shape, metric),
  };
}

export interface CurvePoint {
  variant: string;
  step: number;
  /** Over the variant's runs that logged this step. */
  mean: number;
  min: number;
  max: number;
  /** Runs that logged this step. */
  n: number;
  /** Whether the variant has several runs, so its band is drawn. */
  band: boolean;
}

/** Where the sweep's scheduler stopped a run: its curve's last point. */
export interface StopPoint {
  variant: string;
  run: string;
  step: number;
  value: number;
}

export interface Curves {
  metric: string;
  unit: 'epoch' | 'step';
  points: CurvePoint[];
  /** One per pruned run (ASHA, median stopping), drawn as a mark on its variant's curve. */
  stops: StopPoint[];
}

/**
 * Curves for the HTML report: the kind's per-step metric (E for toy runs, test_accuracy per epoch for
 * CNNs), one per variant, averaged over its seeds with their min and max.
 */
export async function loadCurves(reader: TrackingReader, report: ComparisonReport, histories = new MetricHistories(reader)): Promise<Curves> {
  const metric = report.runs.length ? curveMetricOf({ params: report.runs[0].params, tags: {} }, report.metric) : report.metric;
  const points: CurvePoint[] = [];
  const stops: StopPoint[] = [];
  if (!metric) return { metric, unit: report.unit, points, stops };
  for (const group of report.groups) {
    const byStep = new Map<number, number[]>();
    for (const run of group.runs) {
      const history = (await histories.get(run.runId, metric)).filter((point) => Number.isFinite(point.value));
      for (const point of history) byStep.set(point.step, [...(byStep.get(point.step) ?? []), point.value]);
      if (run.status === PRUNED && history.length > 0) {
        const last = history.reduce((a, b) => (b.step >= a.step ? b : a));
        stops.push({ variant: group.variant, run: run.name, step: last.step, value: last.value });
      }
    }
    const band = group.runs.length > 1;
    for (const [step, values] of [...byStep].sort((a, b) => a[0] - b[0])) {
      points.push({
        variant: group.variant,
        step,
        mean: values.reduce((sum, v) => sum + v, 0) / values.length,
        min: Math.min(...values),
        max: Math.max(...values),
        n: values.length,
        band,
      });
    }
  }
  return { metric, unit: report.unit, points, stops };
}

async function resolveExperiment(reader: TrackingReader, requested: string | undefined): Promise<{ name: string; runs: RunRecord[] }> {
  const experiments = await reader.listExperiments();
  if (requested !== undefined) {
    const found = await reader.findExperiment(requested);
    if (!found) throw new UnknownExperimentError(requested, experiments.map((e) => e.name));
    return { name: found.name, runs: await reader.listRuns(found.experimentId) };
  }
  const withRuns: { name: string; runs: RunRecord[] }[] = [];
  for (const experiment of experiments) {
    const runs = await reader.listRuns(experiment.experimentId);
    if (runs.length) withRuns.push({ name: experiment.name, runs });
  }
  if (withRuns.length === 1) return withRuns[0];
  if (!withRuns.length) throw new UnknownExperimentError('(any)', experiments.map((e) => e.name));
  throw new AmbiguousExperimentError(withRuns.map((e) => e.name));
}

async function toComparedRun(run: RunRecord, now: number, histories: MetricHistories, metric: string): Promise<ComparedRun> {
  const paramCount = numberOrNull(run.tags['xp.params']) ?? numberOrNull(run.metrics.params);
  const budget = run.tags['xp.withinBudget'];
  let epochs = numberOrNull(run.tags['xp.epochs']) ?? numberOrNull(run.metrics.epochs);
  if (epochs === null && isEpochBased(run)) epochs = epochsTrained(await histories.get(run.runId, curveMetricOf(run, THRESHOLD_METRIC)));
  const threshold = numberOrNull(run.params[THRESHOLD_PARAM]);
  const thresholdEpoch = threshold === null ? null : firstStepReaching(await histories.get(run.runId, THRESHOLD_METRIC), threshold);
  const status = run.tags['xp.status'] || run.status.toLowerCase();
  const prunedAt = status === PRUNED ? lastStep(await histories.get(run.runId, curveMetricOf(run, metric))) : null;
  return {
    runId: run.runId,
    name: run.name,
    variant: variantOf(run),
    seed: seedOf(run),
    status,
    params: run.params,
    metrics: run.metrics,
    paramCount,
    withinBudget: budget === undefined ? null : budget === 'true',
    epochs,
    threshold,
    thresholdEpoch,
    prunedAt,
    wallTimeMs: run.startTime ? (run.endTime ?? now) - run.startTime : null,
    startTime: run.startTime,
  };
}

function lastStep(history: readonly { step: number; value: number }[]): number | null {
  const steps = history.filter((point) => Number.isFinite(point.value)).map((point) => point.step);
  return steps.length > 0 ? Math.max(...steps) : null;
}

/** The seed is not a varied param: every run of a multi-seed sweep has its own, shown in its own column. */
const NOT_VARIED = new Set(['seed']);

/**
 * The params that differ between the runs. Runs of several kinds side by side (a PyTorch `command` next
 * to xp's own CNN of the same network) differ in every field one kind has and the other lacks: that is
 * each kind's configuration, not what was varied. Over several kinds a param counts where it differs
 * between runs of one kind, and `kind` itself, so the table shows the kind and what each sweep varied.
 */
export function variedParams(runs: readonly Pick<RunRecord, 'params'>[]): string[] {
  const differs = (group: readonly Pick<RunRecord, 'params'>[], key: string) => new Set(group.map((run) => run.params[key])).size > 1;
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.params)))].filter((key) => !NOT_VARIED.has(key));
  const byKind = new Map<string | undefined, Pick<RunRecord, 'params'>[]>();
  for (const run of runs) byKind.set(run.params.kind, [...(byKind.get(run.params.kind) ?? []), run]);
  if (byKind.size <= 1) return keys.filter((key) => differs(runs, key)).sort();
  return keys.filter((key) => key === 'kind' || [...byKind.values()].some((group) => differs(group, key))).sort();
}

/** Missing and NaN values sort last whichever the direction. */
function compareByMetric(a: number | undefined, b: number | undefined, direction: MetricDirection): number {
  const aOk = a !== undefined && !Number.isNaN(a);
  const bOk = b !== undefined && !Number.isNaN(b);
  if (!aOk || !bOk) return Number(!aOk) - Number(!bOk);
  return direction === 'min' ? a - b : b - a;
}

function numberOrNull(value: string | number | undefined): number | null {
  if (value === undefined || value === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

function firstDefined<T>(values: (T | undefined)[]): T | undefined {
  return values.find((value) => value !== undefined);
}
