/**
 * Runs in a child process (a binding that fails to load, or crashes while loading, must not take the
 * setup down with it): loads the native package, reports what TensorFlow says about itself, checks
 * one gradient against TensorFlow.js's `cpu` backend, times one training step, and prints a
 * SelfTestReport as JSON on its last line of stdout.
 *
 * argv: the npm package to load.
 */
import * as tf from '@tensorflow/tfjs';
import type { SelfTestReport } from './self-test.ts';

interface NativeBinding {
  TF_Version?: string;
  isUsingGpuDevice?: boolean | (() => boolean);
}

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

/** Fixed inputs (a sine pattern, not random) so the cpu and native runs see the same numbers. */
function pattern(shape: number[], phase: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.731 + phase)), shape);
}

/** d/dfilter of a convolution followed by max pooling (no ReLU or batch norm: nothing to flip). */
function filterGradient(): Float32Array {
  return tf.tidy(() => {
    const x = pattern([4, 12, 12, 3], 0.1) as tf.Tensor4D;
    const f = pattern([3, 3, 3, 8], 0.7) as tf.Tensor4D;
    const w = pattern([4, 5, 5, 8], 1.3);
    return tf.grad((filter: tf.Tensor) => tf.maxPool(tf.conv2d(x, filter as tf.Tensor4D, 1, 'valid'), 2, 2, 'valid').mul(w).sum())(f).dataSync() as Float32Array;
  });
}

/** One SGD step of a small convnet on a batch of 32; returns the step's time and loss. */
async function trainingStep(): Promise<{ ms: number; loss: number }> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
  const x = pattern([32, 28, 28, 1], 0.3);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10);
  await model.trainOnBatch(x, y); // the first step builds kernels; the second is timed
  const t0 = performance.now();
  const loss = (await model.trainOnBatch(x, y)) as number;
  const ms = performance.now() - t0;
  tf.dispose([x, y]);
  model.dispose();
  return { ms, loss };
}

async function main(): Promise<void> {
  const npmPackage = process.argv[2];
  const t0 = performance.now();
  await import(npmPackage);
  const loadMs = performance.now() - t0;
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${npmPackage} loaded but its 'tensorflow' backend did not start`);
  const binding = (tf.backend() as unknown as { binding?: NativeBinding }).binding;
  const flag = binding?.isUsingGpuDevice;
  const usingGpu = typeof flag === 'function' ? flag.call(binding) : Boolean(flag);
  const native = filterGradient();
  const step = await trainingStep();
  await tf.setBackend('cpu');
  const reference = filterGradient();
  const report: SelfTestReport = {
    backend: 'tensorflow',
    tensorflowVersion: binding?.TF_Version ?? 'unknown',
    usingGpu,
    loadMs,
    gradientRelError: relError(native, reference),
    stepMs: step.ms,
    stepLoss: step.loss,
  };
  process.stdout.write(`\n${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
