import { describe, expect, it } from 'vitest';
import { judgeMetrics, metricBoundsOf } from './metric-constraints.ts';

const history = (...values: number[]) => values.map((value, i) => ({ step: i + 1, value }));

describe('constraints.metrics', () => {
  it('judges the final value by default, and the best one when told', () => {
    const histories = { acc: history(0.9, 0.99, 0.95) };
    expect(judgeMetrics(histories, { acc: { min: 0.97 } })).toMatchObject({ passed: false, messages: ['final acc 0.95 (step 3) < min 0.97'] });
    expect(judgeMetrics(histories, { acc: { min: 0.97, judge: 'best' } }).passed).toBe(true);
  });
  it('takes the lowest as best for an upper bound', () => {
    expect(judgeMetrics({ loss: history(0.5, 0.1, 0.3) }, { loss: { max: 0.2, judge: 'best' } }).passed).toBe(true);
    expect(judgeMetrics({ loss: history(0.5, 0.1, 0.3) }, { loss: { max: 0.2 } }).messages[0]).toBe('final loss 0.3 (step 3) > max 0.2');
  });
  it('fails a metric that was never logged, or is not finite', () => {
    expect(judgeMetrics({}, { acc: { min: 0.5 } }).messages[0]).toContain("logged no 'acc'");
    expect(judgeMetrics({ acc: history(Number.NaN) }, { acc: { min: 0.5 } }).passed).toBe(false);
  });
  it("reads the CNN's minTestAccuracy as the short form of a test_accuracy bound", () => {
    expect(metricBoundsOf({ minTestAccuracy: 0.994, judge: 'best' })).toEqual({ test_accuracy: { min: 0.994, judge: 'best' } });
    expect(metricBoundsOf({ minTestAccuracy: 0.9, metrics: { test_accuracy: { min: 0.95 } } })).toEqual({ test_accuracy: { min: 0.95 } });
  });
});
