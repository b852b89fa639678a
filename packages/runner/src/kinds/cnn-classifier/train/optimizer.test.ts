import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createOptimizer } from './optimizer.ts';

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe('SGD with momentum', () => {
  it('follows PyTorch: v ← m·v + g + wd·w; w ← w − lr·v', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const opt = createOptimizer([w], { name: 'sgd', momentum: 0.9, weightDecay: 0.1 });
    let expectedW = [1, -2];
    let v = [0, 0];
    const grads = [[0.5, 0.25], [-1, 2]];
    for (const g of grads) {
      opt.apply([tf.tensor1d(g)], 0.1);
      v = v.map((vi, i) => 0.9 * vi + g[i] + 0.1 * expectedW[i]);
      expectedW = expectedW.map((wi, i) => wi - 0.1 * v[i]);
    }
    values(w).forEach((x, i) => expect(x).toBeCloseTo(expectedW[i], 5));
    expect(opt.iterations).toBe(2);
  });

  it('agrees with tf.train.momentum without weight decay', () => {
    const a = tf.variable(tf.tensor1d([0.3, 0.7, -1]));
    const b = tf.variable(tf.tensor1d([0.3, 0.7, -1]));
    const ours = createOptimizer([a], { name: 'sgd', momentum: 0.9, weightDecay: 0 });
    const theirs = tf.train.momentum(0.05, 0.9);
    for (let step = 0; step < 3; step++) {
      const g = tf.tensor1d([step + 1, -0.5, 0.25 * step]);
      ours.apply([g], 0.05);
      theirs.applyGradients([{ name: b.name, tensor: g }]);
    }
    values(a).forEach((x, i) => expect(x).toBeCloseTo(values(b)[i], 5));
  });
});

describe('Adam', () => {
  it('follows PyTorch Adam (bias-corrected, ε outside the root)', () => {
    const w = tf.variable(tf.scalar(1));
    const opt = createOptimizer([w], { name: 'adam', momentum: 0, weightDecay: 0 });
    let m = 0;
    let v = 0;
    let x = 1;
    for (let t = 1; t <= 3; t++) {
      const g = 2 * x;
      opt.apply([tf.scalar(g)], 0.01);
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      x -= (0.01 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
    }
    expect(w.dataSync()[0]).toBeCloseTo(x, 5);
  });
});

describe('optimizer state', () => {
  it('restores into a fresh optimizer so the next step is identical', () => {
    const start = [0.5, -0.5];
    const w1 = tf.variable(tf.tensor1d(start));
    const first = createOptimizer([w1], { name: 'adam', momentum: 0, weightDecay: 0 });
    first.apply([tf.tensor1d([1, 2])], 0.1);
    const saved = first.state();

    const w2 = tf.variable(w1.clone());
    const second = createOptimizer([w2], { name: 'adam', momentum: 0, weightDecay: 0 });
    second.restore(saved);
    expect(second.iterations).toBe(1);
    first.apply([tf.tensor1d([0.3, -0.1])], 0.1);
    second.apply([tf.tensor1d([0.3, -0.1])], 0.1);
    expect(values(w2)).toEqual(values(w1));
  });

  it('refuses state of the other optimizer', () => {
    const w = tf.variable(tf.scalar(0));
    const sgd = createOptimizer([w], { name: 'sgd', momentum: 0.9, weightDecay: 0 });
    expect(() => createOptimizer([w], { name: 'adam', momentum: 0, weightDecay: 0 }).restore(sgd.state())).toThrow(/sgd state/);
  });
});
