import { describe, expect, it } from 'vitest';
import type { JobResult } from './job.ts';
import { sweepSummaryMetrics } from './sweep-summary.ts';

describe('sweepSummaryMetrics', () => {
  const runs: Array<Pick<JobResult, 'status' | 'metrics'>> = [
    { status: 'passed', metrics: { test_accuracy: 0.9 } },
    { status: 'failed', metrics: { test_accuracy: 0.5 } },
    { status: 'pruned', metrics: { test_accuracy: 0.99 } },
    { status: 'error', metrics: { test_accuracy: 0.98 } },
    { status: 'passed', metrics: { test_accuracy: Number.NaN } },
    { status: 'passed', metrics: {} },
  ];

  it('takes the best by the metric direction and the mean over runs that trained to their end', () => {
    expect(sweepSummaryMetrics(runs, 'test_accuracy', 'max')).toEqual({ best_test_accuracy: 0.9, mean_test_accuracy: 0.7, runs_counted: 2 });
    expect(sweepSummaryMetrics(runs, 'test_accuracy', 'min')).toMatchObject({ best_test_accuracy: 0.5 });
  });

  it('gives nothing when no run has the metric', () => {
    expect(sweepSummaryMetrics(runs.slice(2), 'test_accuracy', 'max')).toEqual({});
  });
});
