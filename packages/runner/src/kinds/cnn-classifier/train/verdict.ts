/**
 * Judging a finished training run against constraints.minTestAccuracy. Which epochs count is the
 * spec's choice (constraints.judge), because a single lucky epoch picked by looking at the test set
 * is not the same claim as accuracy that holds over the last few epochs.
 */
import type { ResolvedCnnSpec } from '@xp/core';

export type Judge = ResolvedCnnSpec['constraints']['judge'];

export interface AccuracyHistory {
  /** Test accuracy (fraction) of epochs 1..n, in order. */
  testAccuracy: readonly number[];
}

export interface BestEpoch {
  /** 1-based; the earliest epoch reaching the best accuracy. */
  epoch: number;
  accuracy: number;
}

export interface Verdict {
  passed: boolean;
  /** The accuracy the threshold was compared with; NaN when no epoch finished. */
  judged: number;
  /** e.g. "final accuracy 0.9921 (epoch 15) < minTestAccuracy 0.994". */
  message: string;
}

export function bestEpoch(accuracies: readonly number[]): BestEpoch | null {
  let best: BestEpoch | null = null;
  accuracies.forEach((accuracy, i) => {
    if (best === null || accuracy > best.accuracy) best = { epoch: i + 1, accuracy };
  });
  return best;
}

/** The accuracy `judge` picks from the history, with a description of where it came from. */
export function judgedAccuracy(accuracies: readonly number[], judge: Judge = 'final'): { value: number; what: string } {
  const n = accuracies.length;
  if (n === 0) return { value: Number.NaN, what: 'no finished epoch' };
  if (judge === 'final') return { value: accuracies[n - 1], what: `final accuracy (epoch ${n})` };
  if (judge === 'best') {
    const best = bestEpoch(accuracies)!;
    return { value: best.accuracy, what: `best accuracy (epoch ${best.epoch})` };
  }
  const from = Math.max(0, n - judge.lastN);
  const window = accuracies.slice(from);
  const lowest = Math.min(...window);
  const at = from + window.indexOf(lowest) + 1;
  const shortfall = judge.lastN > n ? `; only ${n} epochs ran` : '';
  return { value: lowest, what: `lowest accuracy of the last ${judge.lastN} epochs (epoch ${at}${shortfall})` };
}

const percent = (fraction: number): string => `${(fraction * 100).toFixed(2)}%`;

/** No threshold: passed, with the judged value still reported. */
export function judge(accuracies: readonly number[], constraints: ResolvedCnnSpec['constraints']): Verdict {
  const { value, what } = judgedAccuracy(accuracies, constraints.judge);
  const threshold = constraints.minTestAccuracy;
  if (threshold === undefined) return { passed: true, judged: value, message: `${what} ${percent(value)}; no minTestAccuracy set` };
  if (Number.isNaN(value)) return { passed: false, judged: value, message: `no epoch finished; minTestAccuracy ${percent(threshold)} not reached` };
  const passed = value >= threshold;
  return {
    passed,
    judged: value,
    message: `${what} ${percent(value)} ${passed ? '≥' : '<'} minTestAccuracy ${percent(threshold)}`,
  };
}
