/**
 * Which end of a metric is best. The runner tags each run with xp.metricDirections (JSON) and
 * xp.primaryMetric from its kind; this table only covers runs recorded without those tags.
 */
import type { MetricDirection } from '../kinds/types.ts';

interface KindMetrics {
  primaryMetric: string;
  /** The metric drawn per step/epoch in the HTML report. */
  curveMetric: string;
  directions: Record<string, MetricDirection>;
}

export const KNOWN_KINDS: Record<string, KindMetrics> = {
  'toy-mlp': { primaryMetric: 'E', curveMetric: 'E', directions: { E: 'min', E1: 'min', E2: 'min' } },
  'cnn-classifier': {
    primaryMetric: 'test_accuracy',
    curveMetric: 'test_accuracy',
    directions: { test_accuracy: 'max', best_test_accuracy: 'max', train_accuracy: 'max', val_accuracy: 'max' },
  },
};

export const TAG_DIRECTIONS = 'xp.metricDirections';
export const TAG_PRIMARY_METRIC = 'xp.primaryMetric';

export interface RunMetricInfo {
  params: Record<string, string>;
  tags: Record<string, string>;
}

export function directionsOf(run: RunMetricInfo): Record<string, MetricDirection> {
  const fromKind = KNOWN_KINDS[run.params.kind ?? '']?.directions ?? {};
  let fromTag: Record<string, MetricDirection> = {};
  try {
    const parsed: unknown = JSON.parse(run.tags[TAG_DIRECTIONS] ?? '{}');
    if (parsed && typeof parsed === 'object') fromTag = parsed as Record<string, MetricDirection>;
  } catch {
    // A malformed tag falls back to the table.
  }
  return { ...fromKind, ...fromTag };
}

export function primaryMetricOf(run: RunMetricInfo): string | undefined {
  return run.tags[TAG_PRIMARY_METRIC] || KNOWN_KINDS[run.params.kind ?? '']?.primaryMetric;
}

export function curveMetricOf(run: RunMetricInfo, fallback: string): string {
  return KNOWN_KINDS[run.params.kind ?? '']?.curveMetric ?? fallback;
}

/** Direction of a metric no table or tag names: accuracies go up, losses and errors go down. */
export function guessDirection(metric: string): MetricDirection {
  return /acc|precision|recall|f1|auc|score/i.test(metric) ? 'max' : 'min';
}
