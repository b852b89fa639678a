/**
 * Per-step metric histories for `xp compare`: how many epochs a run really trained, the epoch at which it
 * first reached its accuracy threshold, and the curves of the HTML report. Each history is read from the
 * store once per comparison.
 */
import type { MetricPoint, RunRecord, TrackingReader } from '@xp/tracking';

/** The metric `constraints.minTestAccuracy` judges; its history is logged once per epoch (step = epoch, from 1). */
export const THRESHOLD_METRIC = 'test_accuracy';
export const THRESHOLD_PARAM = 'constraints.minTestAccuracy';

export class MetricHistories {
  private readonly cache = new Map<string, Promise<MetricPoint[]>>();

  constructor(private readonly reader: TrackingReader) {}

  get(runId: string, key: string): Promise<MetricPoint[]> {
    const id = `${runId}\u0000${key}`;
    let history = this.cache.get(id);
    if (!history) {
      history = this.reader.metricHistory(runId, key);
      this.cache.set(id, history);
    }
    return history;
  }
}

/** A kind whose spec counts training in epochs (train.epochs) logs one point per epoch; others log per step. */
export function isEpochBased(run: Pick<RunRecord, 'params'>): boolean {
  return run.params['train.epochs'] !== undefined;
}

/**
 * Epochs the run actually trained: the points of its per-epoch history, never the epochs the spec asked
 * for. null where it trained none (a variant refused over budget, a crash before the first epoch) or where
 * the kind does not count in epochs.
 */
export function epochsTrained(history: readonly MetricPoint[]): number | null {
  const steps = new Set(history.filter((point) => Number.isFinite(point.value)).map((point) => point.step));
  return steps.size > 0 ? steps.size : null;
}

/** The first step (epoch) whose value reached `threshold`, or null if none did. */
export function firstStepReaching(history: readonly MetricPoint[], threshold: number): number | null {
  let first: number | null = null;
  for (const point of history) if (point.value >= threshold && (first === null || point.step < first)) first = point.step;
  return first;
}
