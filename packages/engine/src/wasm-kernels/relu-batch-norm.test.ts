import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { reluBatchNorm } from '../ops.ts';
import { randn, relError, valuesOn } from '../test-util.ts';

const shapes: [number, number, number, number][] = [[4, 5, 6, 3], [3, 7, 7, 16], [2, 6, 5, 20], [5, 4, 4, 32]];

describe('reluBatchNorm on wasm (fused kernels) matches the stock composition on cpu', () => {
  for (const [i, shape] of shapes.entries()) {
    for (const relu of [true, false]) {
      for (const masked of [false, true]) {
        it(`${shape.join('x')} relu=${relu} dropoutMask=${masked}`, async () => {
          const [n, , , c] = shape;
          const size = shape.reduce((a, b) => a * b);
          const xv = randn(size, 1 + i).map((v) => 2 * v + 0.3);
          const gv = randn(c, 20 + i).map((v) => 1 + 0.5 * v);
          const bv = randn(c, 40 + i);
          const mv = randn(n * c, 60 + i).map((v) => (v > -0.5 ? 1 / 0.7 : 0));
          const wv = randn(size, 80 + i);
          const run = () => {
            const x = tf.tensor4d(xv, shape);
            const g = tf.tensor1d(gv);
            const b = tf.tensor1d(bv);
            const mask = masked ? tf.tensor2d(mv, [n, c]) : undefined;
            const W = tf.tensor4d(wv, shape);
            const r = reluBatchNorm(x, g, b, { relu, dropoutMask: mask, epsilon: 1e-3 });
            const grads = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
              reluBatchNorm(a as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D, { relu, dropoutMask: mask, epsilon: 1e-3 }).y.mul(W).sum())([x, g, b]);
            return [r.y, r.mean, r.variance, ...grads];
          };
          const ref = await valuesOn('cpu', run);
          const got = await valuesOn('wasm', run);
          for (let k = 0; k < ref.length; k++) expect(relError(got[k], ref[k]), `output ${k}`).toBeLessThan(1e-4);
        });
      }
    }
  }
});
