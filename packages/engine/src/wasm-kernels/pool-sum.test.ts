import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { randn, relError, valuesOn } from '../test-util.ts';

describe('wasm MaxPoolGrad matches cpu', () => {
  const cases = [
    { shape: [3, 8, 8, 16], k: 2, s: 2, pad: 'valid' as const, relu: true },
    { shape: [2, 11, 11, 5], k: 2, s: 2, pad: 'valid' as const, relu: false },
    { shape: [2, 11, 9, 8], k: 2, s: 2, pad: 'valid' as const, relu: true },
    { shape: [2, 6, 6, 4], k: 2, s: 2, pad: 'same' as const, relu: false },
    { shape: [2, 7, 9, 4], k: 3, s: 2, pad: 'same' as const, relu: false },
    { shape: [2, 6, 6, 3], k: 3, s: 1, pad: 'same' as const, relu: true },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${c.k}x${c.k} stride ${c.s} ${c.pad} on ${c.shape.join('x')}${c.relu ? ' after ReLU (ties)' : ''}`, async () => {
      const xv = randn(c.shape.reduce((a, b) => a * b), 7 + i);
      const run = () => {
        const x = tf.tensor4d(xv, c.shape as [number, number, number, number]);
        const f = (a: tf.Tensor) => {
          const a4 = a as tf.Tensor4D;
          const p = tf.maxPool(c.relu ? tf.relu(a4) : a4, c.k, c.s, c.pad);
          return p.mul(tf.tensor(randn(p.size, 70 + i), p.shape)).sum();
        };
        return [tf.grad(f)(x)];
      };
      const ref = await valuesOn('cpu', run);
      const got = await valuesOn('wasm', run);
      expect(relError(got[0], ref[0])).toBeLessThan(1e-4);
    });
  }
});

describe('wasm Sum matches cpu', () => {
  const cases: [number[], number[], boolean][] = [
    [[4, 5, 6, 16], [0, 1, 2], false],
    [[4, 5, 6, 20], [0, 1, 2], true],
    [[30, 40], [0], false],
    [[3, 4, 5], [1, 2], false],
    [[3, 4, 5], [0, 2], true],
    [[64, 300], [0], false],
  ];
  for (const [i, [shape, axes, keepDims]] of cases.entries()) {
    it(`shape ${shape.join('x')} axes ${axes.join(',')} keepDims=${keepDims}`, async () => {
      const xv = randn(shape.reduce((a, b) => a * b), 90 + i);
      const run = () => {
        const s = tf.sum(tf.tensor(xv, shape), axes, keepDims);
        return [s, tf.tensor1d(s.shape)];
      };
      const ref = await valuesOn('cpu', run);
      const got = await valuesOn('wasm', run);
      expect(Array.from(got[1])).toEqual(Array.from(ref[1]));
      expect(relError(got[0], ref[0])).toBeLessThan(1e-5);
    });
  }
});
