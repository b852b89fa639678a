/**
 * The metrics a sweep's parent run carries, so that MLflow's UI has something to chart on it: the best
 * and the mean of the kind's primary metric over the sweep's runs that trained to their end (passed or
 * failed their constraints, cached ones included). Runs that crashed, were interrupted or were pruned
 * by a scheduler stopped early; their last value is not the sweep's result, so they are left out.
 */
import type { MetricDirection } from '../kinds/types.ts';
import type { JobResult } from './job.ts';

/** `best_<metric>`, `mean_<metric>` and `runs_counted` for the parent run; empty when no run counts. */
export function sweepSummaryMetrics(runs: readonly Pick<JobResult, 'status' | 'metrics'>[], metric: string, direction: MetricDirection): Record<string, number> {
  const values = runs
    .filter((run) => run.status === 'passed' || run.status === 'failed')
    .map((run) => run.metrics[metric])
    .filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  if (values.length === 0) return {};
  const best = direction === 'max' ? Math.max(...values) : Math.min(...values);
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return { [`best_${metric}`]: best, [`mean_${metric}`]: mean, runs_counted: values.length };
}
