/**
 * Where the native backend's whole-network gradient differences come from (issue #14): the seed
 * network's gradients (input and all parameters; no dropout; batch norm in training mode) on the cpu
 * backend, native TensorFlow and the wasm engine, written to a JSON file that
 * bench/gradients_float64.py compares with PyTorch in float64 and float32, and the number of ReLU
 * inputs whose sign differs between the cpu and the native forward pass.
 *
 *   npx tsx bench/gradients-vs-float64.ts [--batch 8] [--out .xp/gradients.json]
 *   /usr/bin/python3 bench/gradients_float64.py .xp/gradients.json
 *
 * Needs `npx xp setup native`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@xp/engine';
import { randn } from '@xp/engine/test-util';

const argv = process.argv.slice(2);
const option = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const N = Number(option('batch', '8'));
const OUT = option('out', '.xp/gradients.json');

type Spec = [k: number, ci: number, co: number, pad: 'valid' | 'same'];
const SPECS: Spec[] = [[3, 1, 16, 'valid'], [3, 16, 16, 'valid'], [3, 16, 32, 'valid'], [1, 32, 16, 'valid'], [3, 16, 16, 'valid'], [3, 16, 16, 'valid'], [3, 16, 16, 'same'], [3, 16, 16, 'valid'], [3, 16, 16, 'same'], [1, 16, 10, 'valid']];
const BN_AFTER = [1, 1, 1, 0, 1, 1, 1, 1, 1, 0];
const POOL_AFTER = 3;

let seed = 10;
const params: [Float32Array, number[]][] = [];
for (const [k, ci, co] of SPECS) {
  params.push([randn(k * k * ci * co, seed++).map((v) => v * Math.sqrt(2 / (k * k * ci))), [k, k, ci, co]]);
  params.push([randn(co, seed++).map((v) => 0.1 * v), [co]]);
}
SPECS.forEach(([, , co], i) => {
  const g = randn(co, seed++).map((v) => 1 + 0.1 * v);
  const b = randn(co, seed++).map((v) => 0.1 * v);
  if (BN_AFTER[i]) params.push([g, [co]], [b, [co]]);
});
params.push([randn(100, seed++).map((v) => 0.3 * v), [10, 10]], [randn(10, seed++).map((v) => 0.1 * v), [10]]);
const x: [Float32Array, number[]] = [randn(N * 28 * 28, 1), [N, 28, 28, 1]];
const labels = Array.from({ length: N }, (_, i) => i % 10);

function loss(xx: tf.Tensor, ps: tf.Tensor[], pre?: tf.Tensor[]): tf.Scalar {
  let h = xx as tf.Tensor4D;
  let b = 0;
  SPECS.forEach(([, , , pad], i) => {
    h = tf.add(tf.conv2d(h, ps[2 * i] as tf.Tensor4D, 1, pad), ps[2 * i + 1]) as tf.Tensor4D;
    // The head's 1x1 convolution (the last) has no ReLU, as in the seed.
    if (i === SPECS.length - 1) return;
    pre?.push(h);
    h = tf.relu(h);
    if (BN_AFTER[i]) {
      const m = tf.moments(h, [0, 1, 2]);
      h = tf.batchNorm(h, m.mean, m.variance, ps[20 + 2 * b + 1], ps[20 + 2 * b], 1e-5) as tf.Tensor4D;
      b++;
    }
    if (i === POOL_AFTER) h = tf.maxPool(h, 2, 2, 'valid');
  });
  const logits = tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, ps[ps.length - 2] as tf.Tensor2D), ps[ps.length - 1]);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), logits) as tf.Scalar;
}

async function on(backend: 'cpu' | 'tensorflow' | 'wasm'): Promise<{ grads: number[][]; pre: Float32Array[] }> {
  await selectBackend(backend);
  const out = tf.tidy(() => {
    const xs = tf.tensor(...x);
    const ps = params.map((p) => tf.tensor(...p));
    const pre: tf.Tensor[] = [];
    loss(xs, ps, pre);
    return { grads: tf.grads((...a: tf.Tensor[]) => loss(a[0], a.slice(1)))([xs, ...ps]), pre };
  });
  const result = { grads: out.grads.map((g) => Array.from(g.dataSync())), pre: out.pre.map((p) => p.dataSync() as Float32Array) };
  tf.dispose([...out.grads, ...out.pre]);
  return result;
}

const cpu = await on('cpu');
const native = await on('tensorflow');
const wasm = await on('wasm');
const flips = (a: Float32Array[], b: Float32Array[]) => a.map((layer, i) => layer.reduce((n, v, j) => n + ((v > 0) !== (b[i][j] > 0) ? 1 : 0), 0));
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({
  N, specs: SPECS, bnAfter: BN_AFTER, poolAfter: POOL_AFTER, x: [Array.from(x[0]), x[1]], labels,
  params: params.map(([v, s]) => [Array.from(v), s]),
  cpu: cpu.grads, tensorflow: native.grads, wasm: wasm.grads,
}));
const reluInputs = cpu.pre.reduce((n, l) => n + l.length, 0);
process.stdout.write(`wrote ${OUT}; ReLU inputs whose sign differs from cpu's (of ${reluInputs}): tensorflow ${JSON.stringify(flips(cpu.pre, native.pre))}, wasm ${JSON.stringify(flips(cpu.pre, wasm.pre))}\n`);
