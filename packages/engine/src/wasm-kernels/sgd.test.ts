import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { sgdMomentumUpdate } from '../ops.ts';
import { outputsOn, randn } from '../test-util.ts';
import { SGD_MOMENTUM } from './sgd.ts';

const SHAPES = [[3, 3, 8, 16], [16], [1, 1, 16, 8], [32, 10], [7]];

/** Three steps of every variable, as the optimizer runs them: new weights and velocities each step. */
function steps(momentum: number, weightDecay: number) {
  return () => {
    let weights = SHAPES.map((s, i) => tf.tensor(randn(s.reduce((a, b) => a * b), 1 + i), s));
    let velocities = momentum > 0 ? SHAPES.map((s) => tf.zeros(s)) : [];
    for (let step = 0; step < 3; step++) {
      const grads = SHAPES.map((s, i) => tf.tensor(randn(s.reduce((a, b) => a * b), 100 * step + i), s));
      ({ weights, velocities } = sgdMomentumUpdate(weights, velocities, grads, { lr: 0.05 - 0.01 * step, momentum, weightDecay }));
    }
    return [...weights, ...velocities];
  };
}

describe('sgdMomentumUpdate on wasm (one kernel call) gives the bits of the composition on cpu', () => {
  for (const [momentum, weightDecay] of [[0.9, 0], [0.9, 5e-4], [0, 0], [0, 1e-3]]) {
    it(`momentum ${momentum}, weight decay ${weightDecay}`, async () => {
      const ref = await outputsOn('cpu', steps(momentum, weightDecay));
      const got = await outputsOn('wasm', steps(momentum, weightDecay));
      expect(tf.getKernel(SGD_MOMENTUM, 'wasm')).toBeDefined();
      expect(got.length).toBe(ref.length);
      for (let k = 0; k < ref.length; k++) {
        expect(got[k].shape, `output ${k}`).toEqual(ref[k].shape);
        expect(got[k].values, `output ${k}`).toEqual(ref[k].values);
      }
    });
  }
});
