import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { randn, relError, valuesOn } from '../test-util.ts';
import { setFilterGradStrategy } from './conv2d-backprop-filter.ts';

type Case = { n: number; h: number; w: number; ci: number; co: number; k: number; s: number; pad: 'same' | 'valid' };
const cases: Case[] = [
  { n: 2, h: 9, w: 9, ci: 3, co: 4, k: 3, s: 1, pad: 'same' },
  { n: 3, h: 10, w: 8, ci: 16, co: 16, k: 3, s: 1, pad: 'valid' },
  { n: 2, h: 9, w: 10, ci: 5, co: 7, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 10, w: 9, ci: 4, co: 6, k: 3, s: 2, pad: 'valid' },
  { n: 4, h: 7, w: 7, ci: 32, co: 16, k: 1, s: 1, pad: 'valid' },
  { n: 2, h: 8, w: 7, ci: 8, co: 3, k: 1, s: 2, pad: 'same' },
  { n: 2, h: 12, w: 12, ci: 1, co: 16, k: 3, s: 1, pad: 'valid' },
  { n: 5, h: 6, w: 6, ci: 16, co: 32, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 9, w: 9, ci: 4, co: 8, k: 3, s: 2, pad: 'same' },
  { n: 3, h: 10, w: 11, ci: 3, co: 12, k: 3, s: 2, pad: 'valid' },
  { n: 2, h: 8, w: 8, ci: 6, co: 48, k: 1, s: 2, pad: 'valid' },
];

for (const strategy of ['auto', 'xnnpack'] as const) describe(`wasm Conv2D gradients match cpu (filter gradient: ${strategy})`, () => {
  for (const [i, c] of cases.entries()) {
    it(`${c.k}x${c.k} stride ${c.s} ${c.pad}, batch ${c.n}, ${c.h}x${c.w}, ${c.ci}→${c.co}`, async () => {
      setFilterGradStrategy(strategy);
      const xv = randn(c.n * c.h * c.w * c.ci, 10 + i);
      const wv = randn(c.k * c.k * c.ci * c.co, 100 + i);
      const run = () => {
        const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]);
        const f = tf.tensor4d(wv, [c.k, c.k, c.ci, c.co]);
        const y = tf.conv2d(x, f, c.s, c.pad);
        const weight = tf.tensor(randn(y.size, 1000 + i), y.shape);
        const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad).mul(weight).sum())([x, f]);
        // The fused op with bias and ReLU (forward and all three gradients) as the layers use it.
        const bias = tf.tensor1d(randn(c.co, 2000 + i));
        const fused = (a: tf.Tensor, b: tf.Tensor, bb: tf.Tensor) =>
          tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: bb, strides: c.s, pad: c.pad, activation: 'relu' });
        const fy = fused(x, f, bias);
        const [fdx, fdf, fdb] = tf.grads((a: tf.Tensor, b: tf.Tensor, bb: tf.Tensor) => fused(a, b, bb).mul(weight).sum())([x, f, bias]);
        return [y, dx, df, fy, fdx, fdf, fdb];
      };
      const ref = await valuesOn('cpu', run);
      const got = await valuesOn('wasm', run);
      setFilterGradStrategy('auto');
      for (let k = 0; k < ref.length; k++) expect(relError(got[k], ref[k])).toBeLessThan(1e-4);
    });
  }
});
