/**
 * constraints.metrics: a threshold on any metric a run logs ({test_accuracy: {min: 0.994}, val_loss:
 * {max: 0.05, judge: best}}), judged on each run from its logged history; the verdict over seeds then
 * follows as for every kind (../run/seed-verdict.ts). `judge: final` takes the last value logged (the
 * largest step), `best` the best of the run (the highest for a `min` bound, the lowest for a `max`).
 */
import type { ExperimentSpec } from '@xp/core';

export type MetricConstraints = NonNullable<NonNullable<ExperimentSpec['constraints']>['metrics']>;
export type MetricBound = MetricConstraints[string];

export interface MetricJudgement {
  passed: boolean;
  /** One clause per bound, e.g. "final test_accuracy 0.9921 (step 15) < min 0.994". */
  messages: string[];
}

/** Values of one metric in step order. */
export type MetricHistories = Record<string, ReadonlyArray<{ step: number; value: number }>>;

function judged(history: ReadonlyArray<{ step: number; value: number }>, bound: MetricBound): { value: number; step: number; what: string } {
  const last = history[history.length - 1];
  if ((bound.judge ?? 'final') === 'final') return { value: last.value, step: last.step, what: 'final' };
  // 'best': the side the bound cares about; with both bounds, the lower bound's side (higher is better).
  const higherIsBetter = bound.min !== undefined;
  let best = history[0];
  for (const point of history) if (higherIsBetter ? point.value > best.value : point.value < best.value) best = point;
  return { value: best.value, step: best.step, what: 'best' };
}

export function judgeMetrics(histories: MetricHistories, constraints: MetricConstraints | undefined): MetricJudgement {
  const messages: string[] = [];
  let passed = true;
  for (const [name, bound] of Object.entries(constraints ?? {})) {
    const history = histories[name] ?? [];
    if (history.length === 0) {
      passed = false;
      messages.push(`constraints.metrics.${name}: the run logged no '${name}'`);
      continue;
    }
    const { value, step, what } = judged(history, bound);
    const shown = `${what} ${name} ${value} (step ${step})`;
    if (!Number.isFinite(value)) {
      passed = false;
      messages.push(`${shown} is not a finite number`);
      continue;
    }
    if (bound.min !== undefined && value < bound.min) {
      passed = false;
      messages.push(`${shown} < min ${bound.min}`);
    } else if (bound.max !== undefined && value > bound.max) {
      passed = false;
      messages.push(`${shown} > max ${bound.max}`);
    } else messages.push(`${shown} within ${[bound.min !== undefined ? `min ${bound.min}` : '', bound.max !== undefined ? `max ${bound.max}` : ''].filter(Boolean).join(', ')}`);
  }
  return { passed, messages };
}

/**
 * The bounds a command run is judged by: constraints.metrics, with the CNN's short form
 * minTestAccuracy (and its judge, where that is 'final' or 'best') as {test_accuracy: {min}}.
 */
export function metricBoundsOf(constraints: ExperimentSpec['constraints']): MetricConstraints {
  const bounds: MetricConstraints = { ...(constraints?.metrics ?? {}) };
  const min = constraints?.minTestAccuracy;
  if (min !== undefined && bounds.test_accuracy === undefined) {
    const judge = constraints?.judge === 'best' ? 'best' : 'final';
    bounds.test_accuracy = { min, judge };
  }
  return bounds;
}
