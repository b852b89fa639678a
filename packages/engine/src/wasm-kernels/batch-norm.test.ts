import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { outputsOn, randn, relError } from '../test-util.ts';

/** Shapes the SIMD kernel takes (channels a multiple of 4) and one it hands to the stock kernel. */
const cases = [
  { name: 'NHWC, 16 channels, scale and offset', shape: [3, 5, 7, 16], scale: true, offset: true },
  { name: 'NHWC, 32 channels, more pixels than one chunk', shape: [2, 40, 40, 32], scale: true, offset: true },
  { name: 'no scale, no offset', shape: [4, 3, 3, 8], scale: false, offset: false },
  { name: "rank 2 (a dense layer's batch norm)", shape: [9, 12], scale: true, offset: false },
  { name: '6 channels: the stock kernel', shape: [2, 3, 3, 6], scale: true, offset: true },
];

const EPSILON = 1e-5;

function inputs(c: (typeof cases)[number]) {
  const channels = c.shape[c.shape.length - 1];
  return {
    x: randn(c.shape.reduce((a, b) => a * b, 1), 1),
    mean: randn(channels, 2),
    variance: randn(channels, 3).map((v) => v * v + 0.1),
    scale: c.scale ? randn(channels, 4) : undefined,
    offset: c.offset ? randn(channels, 5) : undefined,
  };
}

/** The kernel's formula in float32, operation by operation. */
function formula(c: (typeof cases)[number]): Float32Array {
  const { x, mean, variance, scale, offset } = inputs(c);
  const f = Math.fround;
  const channels = mean.length;
  return x.map((v, i) => {
    const k = i % channels;
    const factor = f(Math.sqrt(f(variance[k] + f(EPSILON))));
    return f((offset?.[k] ?? 0) + f(f(f(v - mean[k]) * (scale?.[k] ?? 1)) / factor));
  });
}

describe('wasm FusedBatchNorm', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const run = () => {
        const { x, mean, variance, scale, offset } = inputs(c);
        return [tf.batchNorm(tf.tensor(x, c.shape), tf.tensor1d(mean), tf.tensor1d(variance), offset && tf.tensor1d(offset), scale && tf.tensor1d(scale), EPSILON)];
      };
      const [ref] = await outputsOn('cpu', run);
      const [got] = await outputsOn('wasm', run);
      expect(got.shape).toEqual(c.shape);
      expect(relError(got.values, ref.values)).toBeLessThan(1e-6);
      if (c.shape[c.shape.length - 1] % 4 === 0) {
        const want = formula(c);
        let same = 0;
        for (let i = 0; i < want.length; i++) if (got.values[i] === want[i]) same++;
        expect(same, 'elements equal to the float32 formula').toBe(want.length);
      }
    });
  }
});
