/**
 * Which end of a metric is best. The runner tags each run with xp.metricDirections (JSON) and
 * xp.primaryMetric from its kind; the kind itself (by the run's `kind` param) covers runs recorded
 * without those tags.
 */
import { kindNamed } from '../kinds/registry.ts';
import type { MetricDirection } from '../kinds/types.ts';

export const TAG_DIRECTIONS = 'xp.metricDirections';
export const TAG_PRIMARY_METRIC = 'xp.primaryMetric';

export interface RunMetricInfo {
  params: Record<string, string>;
  tags: Record<string, string>;
}

export function directionsOf(run: RunMetricInfo): Record<string, MetricDirection> {
  const fromKind = kindNamed(run.params.kind ?? '')?.metricDirections ?? {};
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
  return run.tags[TAG_PRIMARY_METRIC] || kindNamed(run.params.kind ?? '')?.primaryMetric;
}

export function curveMetricOf(run: RunMetricInfo, fallback: string): string {
  return kindNamed(run.params.kind ?? '')?.curveMetric ?? fallback;
}

/** Direction of a metric no table or tag names: accuracies go up, losses and errors go down. */
export function guessDirection(metric: string): MetricDirection {
  return /acc|precision|recall|f1|auc|score/i.test(metric) ? 'max' : 'min';
}
