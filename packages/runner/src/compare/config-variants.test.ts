import { describe, expect, it } from 'vitest';
import type { ComparedRun } from './compared-run.ts';
import { splitVariantsByConfiguration } from './config-variants.ts';

const run = (runId: string, variant: string, params: Record<string, string>): ComparedRun =>
  ({ runId, name: variant, variant, seed: Number(params.seed ?? 1), status: 'passed', params, metrics: {}, paramCount: null, withinBudget: null, epochs: null, threshold: null, thresholdEpoch: null, prunedAt: null, wallTimeMs: null, startTime: 0 }) as ComparedRun;

describe('one variant name over several configurations (#25 item 5)', () => {
  it('is one variant per configuration, named by what differs; seeds of one configuration stay together', () => {
    const runs = [
      run('a', 'cnn', { seed: '1', 'train.epochs': '1', 'train.lr': '0.1' }),
      run('b', 'cnn', { seed: '2', 'train.epochs': '1', 'train.lr': '0.1' }),
      run('c', 'cnn', { seed: '1', 'train.epochs': '2', 'train.lr': '0.1' }),
      run('d', 'other', { seed: '1', 'train.epochs': '5' }),
    ];
    expect(splitVariantsByConfiguration(runs).map((r) => [r.runId, r.variant])).toEqual([
      ['a', 'cnn (train.epochs=1)'],
      ['b', 'cnn (train.epochs=1)'],
      ['c', 'cnn (train.epochs=2)'],
      ['d', 'other'],
    ]);
  });

  it('names at most three differing fields, and a field one run lacks', () => {
    const runs = [run('a', 'v', { a: '1', b: '1', c: '1', d: '1' }), run('b', 'v', { a: '2', b: '2', c: '2', d: '2', e: '3' })];
    expect(splitVariantsByConfiguration(runs).map((r) => r.variant)).toEqual(['v (a=1, b=1, c=1, +2 more)', 'v (a=2, b=2, c=2, +2 more)']);
  });
});
