/**
 * Runs in a child process (a Vulkan driver that crashes must not take `xp setup webgpu` with it):
 * starts the WebGPU backend, checks a convolution's filter and input gradients against the `cpu`
 * backend, times one training step of a small convnet, and prints a WebgpuSelfTestReport as JSON
 * on its last line of stdout. Where Dawn finds no adapter it prints `{"adapter": null}`.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend.ts';
import { relError } from '../test-util.ts';
import { probeAdapter } from './dawn.ts';
import type { WebgpuSelfTestReport } from './self-test.ts';

/** Fixed inputs (a sine pattern) so cpu and webgpu see the same numbers. */
function pattern(shape: number[], phase: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.731 + phase)), shape);
}

/**
 * d/dfilter and d/dinput of conv → relu → max pool, weighted (the seed network's block without batch
 * norm). Read asynchronously: webgpu's synchronous read needs a browser's OffscreenCanvas.
 */
async function convGradients(): Promise<Float32Array[]> {
  const grads = tf.tidy(() => {
    const x = pattern([4, 12, 12, 3], 0.1) as tf.Tensor4D;
    const f = pattern([3, 3, 3, 8], 0.7) as tf.Tensor4D;
    const w = pattern([4, 5, 5, 8], 1.3);
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.maxPool(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid').mul(w).sum())([x, f]);
    return [df, dx];
  });
  const values = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose(grads);
  return values;
}

async function trainingStep(): Promise<{ ms: number; loss: number }> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
  const x = pattern([32, 28, 28, 1], 0.3);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10);
  await model.trainOnBatch(x, y); // the first step compiles the shaders; the second is timed
  const t0 = performance.now();
  const loss = (await model.trainOnBatch(x, y)) as number;
  const ms = performance.now() - t0;
  tf.dispose([x, y]);
  model.dispose();
  return { ms, loss };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const adapter = await probeAdapter();
  if (!adapter) {
    process.stdout.write('\n{"adapter":null}\n');
    return;
  }
  await selectBackend('webgpu');
  const startMs = performance.now() - t0;
  const got = await convGradients();
  const step = await trainingStep();
  await selectBackend('cpu');
  const reference = await convGradients();
  const report: WebgpuSelfTestReport = {
    adapter,
    startMs,
    filterGradientRelError: relError(got[0], reference[0]),
    inputGradientRelError: relError(got[1], reference[1]),
    stepMs: step.ms,
    stepLoss: step.loss,
  };
  process.stdout.write(`\n${JSON.stringify(report)}\n`);
}

main().then(
  // Dawn's device keeps the event loop alive; the report is written, so leave.
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
