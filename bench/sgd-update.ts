/**
 * One SGD-with-momentum update of 25 variables shaped like the seed network's (3×3 filters of 16
 * channels, biases, batch-norm scales and shifts, the dense layer; 12,346 parameters) on wasm: the engine's
 * one-call kernel (`sgdMomentumUpdate`, wasm-kernels/sgd.ts) against the stock composition it
 * replaces (four or five kernels and two scalar uploads per variable), alternating round by round
 * in one process. Prints the median time of an update each way and their ratio.
 *
 *   npx tsx bench/sgd-update.ts [--rounds 7] [--updates 100]
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels, selectBackend, sgdMomentumUpdate } from '@xp/engine';

const argv = process.argv.slice(2);
const option = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return Number(i >= 0 ? argv[i + 1] : dflt);
};
const rounds = option('rounds', '7');
const updates = option('updates', '100');
const KERNEL = 'XpSgdMomentum';

await selectBackend('wasm');
const shapes = [
  [3, 3, 1, 16], [16], [16], [16], [3, 3, 16, 16], [16], [16], [16], [1, 1, 16, 16], [16], [3, 3, 16, 16], [16], [16], [16],
  [3, 3, 16, 16], [16], [16], [16], [3, 3, 16, 16], [16], [16], [16], [16, 10], [10], [3, 3, 16, 16],
];
const weights = shapes.map((s) => tf.variable(tf.randomNormal(s, 0, 0.1, 'float32', 1)));
const velocities = shapes.map((s) => tf.variable(tf.zeros(s)));
const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 0.01, 'float32', 2 + i));
const settings = { lr: 0.01, momentum: 0.9, weightDecay: 0 };

function update(): void {
  tf.tidy(() => {
    const next = sgdMomentumUpdate(weights, velocities, grads, settings);
    next.velocities.forEach((v, i) => velocities[i].assign(v));
    next.weights.forEach((w, i) => weights[i].assign(w));
  });
}

function time(fused: boolean): number {
  if (fused) registerWasmKernels([KERNEL]);
  else tf.unregisterKernel(KERNEL, 'wasm');
  for (let i = 0; i < 10; i++) update();
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) update();
  return (performance.now() - t0) / updates;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fused: number[] = [];
const stock: number[] = [];
for (let r = 0; r < rounds; r++) {
  stock.push(time(false));
  fused.push(time(true));
}
const f = median(fused);
const s = median(stock);
console.log(`${shapes.length} variables, ${shapes.reduce((n, sh) => n + sh.reduce((a, b) => a * b), 0)} parameters, median of ${rounds} rounds of ${updates} updates`);
console.log(`  composition (stock kernels)  ${s.toFixed(3)} ms an update`);
console.log(`  one kernel call              ${f.toFixed(3)} ms an update  (${(f / s).toFixed(2)}× the composition's time)`);
