import { describe, expect, it } from 'vitest';
import { bestEpoch, judge, judgedAccuracy } from './verdict.ts';

// The seed's 14 epochs.
const seed = [0.9832, 0.9893, 0.9907, 0.9925, 0.9924, 0.9935, 0.9928, 0.9929, 0.9936, 0.9933, 0.9938, 0.9934, 0.9932, 0.9943];

describe('judging minTestAccuracy', () => {
  it('final (the default) judges the last epoch', () => {
    const verdict = judge(seed, { minTestAccuracy: 0.994, judge: 'final' });
    expect(verdict.passed).toBe(true);
    expect(verdict.judged).toBe(0.9943);
    expect(verdict.message).toContain('final accuracy (epoch 14) 99.43% ≥ minTestAccuracy 99.40%');
  });

  it('best judges the best epoch, the earliest on ties', () => {
    expect(judgedAccuracy([0.5, 0.9, 0.9, 0.8], 'best')).toEqual({ value: 0.9, what: 'best accuracy (epoch 2)' });
    expect(judge([0.99, 0.995, 0.993], { minTestAccuracy: 0.994, judge: 'best' }).passed).toBe(true);
    expect(judge([0.99, 0.995, 0.993], { minTestAccuracy: 0.994, judge: 'final' }).passed).toBe(false);
  });

  it('lastN judges the minimum of the last N epochs: one lucky epoch does not pass', () => {
    const verdict = judge(seed, { minTestAccuracy: 0.994, judge: { lastN: 3 } });
    expect(verdict.passed).toBe(false);
    expect(verdict.judged).toBe(0.9932);
    expect(verdict.message).toContain('lowest accuracy of the last 3 epochs (epoch 13) 99.32% < minTestAccuracy 99.40%');
  });

  it('lastN larger than the history judges every epoch and says so', () => {
    const result = judgedAccuracy([0.8, 0.9], { lastN: 5 });
    expect(result.value).toBe(0.8);
    expect(result.what).toContain('only 2 epochs ran');
  });

  it('passes without a threshold, and fails with no finished epoch', () => {
    expect(judge(seed, { judge: 'final' }).passed).toBe(true);
    const none = judge([], { minTestAccuracy: 0.5, judge: 'final' });
    expect(none.passed).toBe(false);
    expect(Number.isNaN(none.judged)).toBe(true);
  });

  it('bestEpoch is 1-based and null for no epochs', () => {
    expect(bestEpoch(seed)).toEqual({ epoch: 14, accuracy: 0.9943 });
    expect(bestEpoch([])).toBeNull();
  });
});
