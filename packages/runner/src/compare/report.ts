/**
 * Builds what `xp compare` shows from the tracking store: one row per run of the latest sweep, what
 * varied between them, and the chosen metric best first. Formatting is elsewhere (format-*.ts).
 */
import type { MetricDirection } from '../kinds/types.ts';
import { UnknownExperimentError } from '../tracking/errors.ts';
import type { MetricPoint, RunRecord, TrackingReader } from '../tracking/types.ts';
import { curveMetricOf, directionsOf, guessDirection, primaryMetricOf } from './directions.ts';
import { selectRuns } from './select-runs.ts';

export interface ComparedRun {
  runId: string;
  name: string;
  /** xp's verdict (xp.status tag: passed|failed|error|killed), else MLflow's status in lower case. */
  status: string;
  params: Record<string, string>;
  /** Latest value of every metric. */
  metrics: Record<string, number>;
  /** Trainable parameters (xp.params tag or `params` metric), null if not recorded. */
  paramCount: number | null;
  /** xp.withinBudget tag; null where the run recorded none. */
  withinBudget: boolean | null;
  epochs: number | null;
  /** End minus start; for a run still going, until now. */
  wallTimeMs: number | null;
  startTime: number;
}

export interface ComparisonReport {
  experiment: string;
  metric: string;
  direction: MetricDirection;
  /** Params whose values differ between the compared runs, in name order. */
  varied: string[];
  /** Best first; runs without the metric last. */
  runs: ComparedRun[];
  /** The sweep's parent run, when the rows are one sweep's children. */
  parentRunId: string | null;
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

export async function buildComparison(reader: TrackingReader, options: CompareOptions = {}): Promise<ComparisonReport> {
  const { name, runs: allRuns } = await resolveExperiment(reader, options.experiment);
  const { runs: selected, parent } = selectRuns(allRuns, { all: options.all ?? false });
  const metric = options.metric ?? firstDefined(selected.map(primaryMetricOf)) ?? firstMetric(selected) ?? '';
  const direction: MetricDirection = options.order
    ? options.order === 'asc'
      ? 'min'
      : 'max'
    : (firstDefined(selected.map((run) => directionsOf(run)[metric])) ?? guessDirection(metric));
  const now = options.now ?? Date.now();
  const rows = selected.map((run) => toComparedRun(run, now));
  rows.sort((a, b) => compareByMetric(a.metrics[metric], b.metrics[metric], direction) || a.startTime - b.startTime);
  return { experiment: name, metric, direction, varied: variedParams(selected), runs: rows, parentRunId: parent?.runId ?? null };
}

/** Curves of every compared run for the HTML report: the kind's per-step metric (E for toy runs, test_accuracy for CNNs). */
export async function loadCurves(reader: TrackingReader, report: ComparisonReport): Promise<Curves> {
  const metric = report.runs.length ? curveMetricOf({ params: report.runs[0].params, tags: {} }, report.metric) : report.metric;
  const points: Curves['points'] = [];
  for (const run of report.runs) {
    if (!metric) break;
    const history: MetricPoint[] = await reader.metricHistory(run.runId, metric);
    for (const point of history) if (Number.isFinite(point.value)) points.push({ run: run.name || run.runId, step: point.step, value: point.value });
  }
  return { metric, points };
}

export interface Curves {
  metric: string;
  points: { run: string; step: number; value: number }[];
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

function toComparedRun(run: RunRecord, now: number): ComparedRun {
  const paramCount = numberOrNull(run.tags['xp.params']) ?? numberOrNull(run.metrics.params);
  const budget = run.tags['xp.withinBudget'];
  return {
    runId: run.runId,
    name: run.name,
    status: run.tags['xp.status'] || run.status.toLowerCase(),
    params: run.params,
    metrics: run.metrics,
    paramCount,
    withinBudget: budget === undefined ? null : budget === 'true',
    epochs:
      numberOrNull(run.tags['xp.epochs']) ??
      numberOrNull(run.metrics.epoch) ??
      numberOrNull(run.params['train.epochs']) ??
      numberOrNull(run.params.epochs),
    wallTimeMs: run.startTime ? (run.endTime ?? now) - run.startTime : null,
    startTime: run.startTime,
  };
}

function variedParams(runs: RunRecord[]): string[] {
  const keys = new Set(runs.flatMap((run) => Object.keys(run.params)));
  return [...keys].filter((key) => new Set(runs.map((run) => run.params[key])).size > 1).sort();
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

function firstMetric(runs: RunRecord[]): string | undefined {
  return runs.flatMap((run) => Object.keys(run.metrics)).sort()[0];
}
