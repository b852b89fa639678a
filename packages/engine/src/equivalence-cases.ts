/**
 * The gradient-equivalence cases every fast backend must pass against TensorFlow.js's `cpu`
 * backend: the same computation (forward values and gradients) on fixed pseudo-random inputs, each
 * output within `tolerance` of cpu's relative to cpu's largest value, shapes equal. The wasm
 * kernels' tests and the native backend's tests (packages/native) run this one list, so both are
 * held to the same shapes and bounds.
 *
 * Each case's `run` builds its tensors inside whatever backend is active; see `valuesOn`.
 */
import * as tf from '@tensorflow/tfjs';
import { reluBatchNorm } from './ops.ts';
import { randn } from './test-util.ts';

export interface EquivalenceCase {
  /** Groups cases into one describe block per kernel. */
  suite: string;
  name: string;
  run: () => tf.Tensor[];
  /** Max |got − cpu| / max |cpu| per output. */
  tolerance: number;
}

type ConvCase = { n: number; h: number; w: number; ci: number; co: number; k: number; s: number; pad: 'same' | 'valid' };

export const CONV_CASES: readonly ConvCase[] = [
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
  // Widths past 16 that are not multiples of 16: groups of 16 plus a 4-, 8- or 12-channel rest,
  // each with its own pixel and channel tiles (simd.ts, channelGroups).
  { n: 2, h: 9, w: 9, ci: 52, co: 20, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 8, w: 9, ci: 20, co: 52, k: 3, s: 1, pad: 'valid' },
  { n: 3, h: 7, w: 7, ci: 9, co: 104, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 9, w: 10, ci: 12, co: 44, k: 3, s: 2, pad: 'same' },
  // Winograd (XP_WASM_WINOGRAD=1): an odd output height, and tiles of two images per product then one.
  { n: 3, h: 23, w: 22, ci: 8, co: 12, k: 3, s: 1, pad: 'valid' },
  // One output channel: the dot-product row kernel (also what 1→16 above takes for its input gradient).
  { n: 2, h: 9, w: 9, ci: 8, co: 1, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 10, w: 11, ci: 4, co: 1, k: 3, s: 2, pad: 'valid' },
];

/** Conv2D forward and both gradients, and the fused op with bias and ReLU (forward, three gradients) as the layers use it. */
export function convCases(): EquivalenceCase[] {
  return CONV_CASES.map((c, i) => ({
    suite: 'Conv2D',
    name: `${c.k}x${c.k} stride ${c.s} ${c.pad}, batch ${c.n}, ${c.h}x${c.w}, ${c.ci}→${c.co}`,
    tolerance: 1e-4,
    run: () => {
      const x = tf.tensor4d(randn(c.n * c.h * c.w * c.ci, 10 + i), [c.n, c.h, c.w, c.ci]);
      const f = tf.tensor4d(randn(c.k * c.k * c.ci * c.co, 100 + i), [c.k, c.k, c.ci, c.co]);
      const y = tf.conv2d(x, f, c.s, c.pad);
      const weight = tf.tensor(randn(y.size, 1000 + i), y.shape);
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad).mul(weight).sum())([x, f]);
      const bias = tf.tensor1d(randn(c.co, 2000 + i));
      const fused = (a: tf.Tensor, b: tf.Tensor, bb: tf.Tensor) =>
        tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: bb, strides: c.s, pad: c.pad, activation: 'relu' });
      const fy = fused(x, f, bias);
      const [fdx, fdf, fdb] = tf.grads((a: tf.Tensor, b: tf.Tensor, bb: tf.Tensor) => fused(a, b, bb).mul(weight).sum())([x, f, bias]);
      return [y, dx, df, fy, fdx, fdf, fdb];
    },
  }));
}

const MAX_POOL_CASES = [
  { shape: [3, 8, 8, 16], k: 2, s: 2, pad: 'valid' as const, relu: true },
  { shape: [2, 11, 11, 5], k: 2, s: 2, pad: 'valid' as const, relu: false },
  { shape: [2, 11, 9, 8], k: 2, s: 2, pad: 'valid' as const, relu: true },
  { shape: [2, 6, 6, 4], k: 2, s: 2, pad: 'same' as const, relu: false },
  { shape: [2, 7, 9, 4], k: 3, s: 2, pad: 'same' as const, relu: false },
  { shape: [2, 6, 6, 3], k: 3, s: 1, pad: 'same' as const, relu: true },
];

/** MaxPool's input gradient, including windows of tied zeros after a ReLU. */
export function maxPoolGradCases(): EquivalenceCase[] {
  return MAX_POOL_CASES.map((c, i) => ({
    suite: 'MaxPoolGrad',
    name: `${c.k}x${c.k} stride ${c.s} ${c.pad} on ${c.shape.join('x')}${c.relu ? ' after ReLU (ties)' : ''}`,
    tolerance: 1e-4,
    run: () => {
      const x = tf.tensor4d(randn(c.shape.reduce((a, b) => a * b), 7 + i), c.shape as [number, number, number, number]);
      const f = (a: tf.Tensor) => {
        const a4 = a as tf.Tensor4D;
        const p = tf.maxPool(c.relu ? tf.relu(a4) : a4, c.k, c.s, c.pad);
        return p.mul(tf.tensor(randn(p.size, 70 + i), p.shape)).sum();
      };
      return [tf.grad(f)(x)];
    },
  }));
}

const SUM_CASES: [number[], number[], boolean][] = [
  [[4, 5, 6, 16], [0, 1, 2], false],
  [[4, 5, 6, 20], [0, 1, 2], true],
  [[30, 40], [0], false],
  [[3, 4, 5], [1, 2], false],
  [[3, 4, 5], [0, 2], true],
  [[64, 300], [0], false],
];

/** Sum over axes (bias gradients); the second output is the result's shape, which must be equal. */
export function sumCases(): EquivalenceCase[] {
  return SUM_CASES.map(([shape, axes, keepDims], i) => ({
    suite: 'Sum',
    name: `shape ${shape.join('x')} axes ${axes.join(',')} keepDims=${keepDims}`,
    tolerance: 1e-5,
    run: () => {
      const s = tf.sum(tf.tensor(randn(shape.reduce((a, b) => a * b), 90 + i), shape), axes, keepDims);
      return [s, tf.tensor1d(s.shape)];
    },
  }));
}

const RELU_BN_SHAPES: [number, number, number, number][] = [[4, 5, 6, 3], [3, 7, 7, 16], [2, 6, 5, 20], [5, 4, 4, 32]];

/**
 * The fused ReLU → BatchNorm → Dropout2d op against the stock composition: its forward, batch
 * statistics and gradients for x, gamma and beta (on a backend without the fused kernels, both sides
 * run the composition).
 */
export function reluBatchNormCases(): EquivalenceCase[] {
  const cases: EquivalenceCase[] = [];
  for (const [i, shape] of RELU_BN_SHAPES.entries()) {
    for (const relu of [true, false]) {
      for (const masked of [false, true]) {
        const [n, , , c] = shape;
        const size = shape.reduce((a, b) => a * b);
        cases.push({
          suite: 'reluBatchNorm',
          name: `${shape.join('x')} relu=${relu} dropoutMask=${masked}`,
          tolerance: 1e-4,
          run: () => {
            const x = tf.tensor4d(randn(size, 1 + i).map((v) => 2 * v + 0.3), shape);
            const g = tf.tensor1d(randn(c, 20 + i).map((v) => 1 + 0.5 * v));
            const b = tf.tensor1d(randn(c, 40 + i));
            const mask = masked ? tf.tensor2d(randn(n * c, 60 + i).map((v) => (v > -0.5 ? 1 / 0.7 : 0)), [n, c]) : undefined;
            const W = tf.tensor4d(randn(size, 80 + i), shape);
            const r = reluBatchNorm(x, g, b, { relu, dropoutMask: mask, epsilon: 1e-3 });
            const grads = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
              reluBatchNorm(a as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D, { relu, dropoutMask: mask, epsilon: 1e-3 }).y.mul(W).sum())([x, g, b]);
            return [r.y, r.mean, r.variance, ...grads];
          },
        });
      }
    }
  }
  return cases;
}

/** Every case above. */
export function gradientEquivalenceCases(): EquivalenceCase[] {
  return [...convCases(), ...maxPoolGradCases(), ...sumCases(), ...reluBatchNormCases()];
}
