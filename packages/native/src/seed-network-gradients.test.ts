/**
 * The whole seed network (experiments/cnn-19816.yaml: ten convolutions, eight batch norms, max
 * pooling, global average pooling, a dense layer, log-softmax) on the native backend against the cpu
 * backend: every parameter's gradient and the input's.
 *
 * Why the ReLUs are pinned. Every op matches cpu to about 1e-6, yet the unpinned network's gradients
 * can differ by several percent of the largest one (the 0.2–1.8 % of issue #14; PyTorch float32
 * differs from float64 as much). The cause is not a kernel: batch norm's statistics round
 * differently in float32 (TensorFlow sums in a tree, tfjs-cpu in a line), the normalized activations
 * move by ~1e-6, and the one or two of the ~370,000 ReLU inputs (batch 8) that sit that close to zero switch
 * sides. A switched ReLU passes (or stops) its whole upstream gradient, so the gradients below it
 * change by a visible amount at a few positions: max-norm comparisons see that, training does not.
 * With each ReLU's on/off decision taken from the cpu's forward pass on every backend, they compute
 * the same function, and what is left is float32 rounding carried back through nine batch norms:
 * each kernel agrees to 1e-4 (equivalence.test.ts), the whole network's gradients to a few 1e-4 —
 * the native backend at most 2.4e-4 of the largest gradient, xp's own wasm engine 7.9e-4. The second
 * test counts the switched ReLUs, which is the whole remaining difference.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { outputsOn, randn, relError, valuesOn } from '@xp/engine/test-util';
import { NATIVE_READY, nativeTitle } from './native-test-guard.ts';

type Conv = { k: number; ci: number; co: number; pad: 'valid' | 'same'; bn: boolean; poolAfter?: boolean };

// The seed network's convolutions in order (dropout left out: it is random by design).
const CONVS: Conv[] = [
  { k: 3, ci: 1, co: 16, pad: 'valid', bn: true },
  { k: 3, ci: 16, co: 16, pad: 'valid', bn: true },
  { k: 3, ci: 16, co: 32, pad: 'valid', bn: true },
  { k: 1, ci: 32, co: 16, pad: 'valid', bn: false, poolAfter: true },
  { k: 3, ci: 16, co: 16, pad: 'valid', bn: true },
  { k: 3, ci: 16, co: 16, pad: 'valid', bn: true },
  { k: 3, ci: 16, co: 16, pad: 'same', bn: true },
  { k: 3, ci: 16, co: 16, pad: 'valid', bn: true },
  { k: 3, ci: 16, co: 16, pad: 'same', bn: true },
];
// Batch 8 keeps the cpu backend (plain JavaScript) to about a minute on a loaded two-core machine.
const BATCH = 8;
const CLASSES = 10;

function parameters(): tf.Tensor[] {
  let seed = 10;
  const ps: tf.Tensor[] = [];
  for (const c of CONVS) {
    ps.push(tf.tensor4d(randn(c.k * c.k * c.ci * c.co, seed++).map((v) => v * Math.sqrt(2 / (c.k * c.k * c.ci))), [c.k, c.k, c.ci, c.co]));
    ps.push(tf.tensor1d(randn(c.co, seed++).map((v) => 0.1 * v)));
    if (c.bn) {
      ps.push(tf.tensor1d(randn(c.co, seed++).map((v) => 1 + 0.1 * v)));
      ps.push(tf.tensor1d(randn(c.co, seed++).map((v) => 0.1 * v)));
    }
  }
  ps.push(tf.tensor4d(randn(16 * CLASSES, seed++).map((v) => v * Math.sqrt(2 / 16)), [1, 1, 16, CLASSES]));
  ps.push(tf.tensor1d(randn(CLASSES, seed++).map((v) => 0.1 * v)));
  ps.push(tf.tensor2d(randn(CLASSES * CLASSES, seed++).map((v) => v * Math.sqrt(1 / CLASSES)), [CLASSES, CLASSES]));
  ps.push(tf.tensor1d(randn(CLASSES, seed++).map((v) => 0.1 * v)));
  return ps;
}

/**
 * The mean NLL loss. `relu(z, i)` is the i-th ReLU; `preActivations` collects what each ReLU saw.
 */
function loss(x: tf.Tensor4D, ps: tf.Tensor[], relu: (z: tf.Tensor4D, i: number) => tf.Tensor4D, preActivations?: tf.Tensor[]): tf.Scalar {
  let h = x;
  let p = 0;
  CONVS.forEach((c, i) => {
    const z = tf.add(tf.conv2d(h, ps[p++] as tf.Tensor4D, 1, c.pad), ps[p++]) as tf.Tensor4D;
    preActivations?.push(z);
    h = relu(z, i);
    if (c.bn) {
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      const gamma = ps[p++];
      const beta = ps[p++];
      h = tf.batchNorm(h, mean, variance, beta, gamma, 1e-5) as tf.Tensor4D;
    }
    if (c.poolAfter) h = tf.maxPool(h, 2, 2, 'valid');
  });
  const head = tf.add(tf.conv2d(h, ps[p++] as tf.Tensor4D, 1, 'valid'), ps[p++]);
  const pooled = tf.mean(head, [1, 2]);
  const logits = tf.add(tf.matMul(pooled as tf.Tensor2D, ps[p++] as tf.Tensor2D), ps[p++]);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % CLASSES), 'int32'), CLASSES);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

const input = () => tf.tensor4d(randn(BATCH * 28 * 28, 1), [BATCH, 28, 28, 1]);

/** Each ReLU's on/off pattern on the cpu backend (the reference). */
async function cpuMasks(): Promise<{ shape: number[]; values: Float32Array }[]> {
  return outputsOn('cpu', () => {
    const zs: tf.Tensor[] = [];
    loss(input(), parameters(), (z) => tf.relu(z), zs);
    return zs.map((z) => tf.cast(tf.greater(z, 0), 'float32'));
  });
}

/** d loss / d (input and every parameter), with ReLUs pinned to the given masks. */
function pinnedGradients(masks: { shape: number[]; values: Float32Array }[]): () => tf.Tensor[] {
  return () => {
    const pinned = (z: tf.Tensor4D, i: number) => tf.mul(z, tf.tensor(masks[i].values, masks[i].shape)) as tf.Tensor4D;
    const x = input();
    const ps = parameters();
    return tf.grads((...args: tf.Tensor[]) => loss(args[0] as tf.Tensor4D, args.slice(1), pinned))([x, ...ps]);
  };
}

describe.runIf(NATIVE_READY)(nativeTitle("native 'tensorflow': the seed network's gradients against cpu"), () => {
  it("every gradient within 1e-3 of cpu with each ReLU decided as on cpu, and as close as the wasm engine's", async () => {
    const masks = await cpuMasks();
    const ref = await outputsOn('cpu', pinnedGradients(masks));
    const native = await outputsOn('tensorflow', pinnedGradients(masks));
    const wasm = await outputsOn('wasm', pinnedGradients(masks));
    expect(native).toHaveLength(ref.length);
    const nativeErrors = ref.map((r, k) => relError(native[k].values, r.values));
    const wasmErrors = ref.map((r, k) => relError(wasm[k].values, r.values));
    for (let k = 0; k < ref.length; k++) {
      expect(native[k].shape).toEqual(ref[k].shape);
      expect(nativeErrors[k], `gradient ${k}`).toBeLessThan(1e-3);
    }
    // Measured (2026-11-25): native at most 2.4e-4, the wasm engine 7.9e-4.
    expect(Math.max(...nativeErrors)).toBeLessThanOrEqual(2 * Math.max(...wasmErrors));
  }, 600_000);

  it('unpinned, the two differ in at most a handful of ReLU decisions (float32 rounding at exactly-zero inputs)', async () => {
    const preActivations = (backend: 'cpu' | 'tensorflow') => valuesOn(backend, () => {
      const zs: tf.Tensor[] = [];
      loss(input(), parameters(), (z) => tf.relu(z), zs);
      return zs;
    });
    const cpu = await preActivations('cpu');
    const native = await preActivations('tensorflow');
    let switched = 0;
    let total = 0;
    for (let i = 0; i < cpu.length; i++) {
      total += cpu[i].length;
      for (let j = 0; j < cpu[i].length; j++) if ((cpu[i][j] > 0) !== (native[i][j] > 0)) switched++;
      // The pre-activations themselves agree closely; only their sign at ~0 can differ.
      expect(relError(native[i], cpu[i]), `layer ${i}`).toBeLessThan(1e-4);
    }
    expect(total).toBeGreaterThan(300_000);
    expect(switched).toBeLessThan(total * 1e-4);
  }, 300_000);
});
