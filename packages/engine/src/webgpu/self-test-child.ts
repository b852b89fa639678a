/**
 * Runs in a child process (a Vulkan driver that crashes must not take `xp setup webgpu` with it):
 * starts the WebGPU backend, checks a convolution's filter and input gradients against the `cpu`
 * backend, times one training step of a small convnet, and prints a WebgpuSelfTestReport as JSON
 * on its last line of stdout. Where Dawn finds no adapter it prints `{"adapter": null}`.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend.ts';
import { relError, sinePattern, timedTrainingStep } from '../self-test-steps.ts';
import { probeAdapter } from './dawn.ts';
import type { WebgpuSelfTestReport } from './self-test.ts';

/**
 * d/dfilter and d/dinput of conv → relu → max pool, weighted (the seed network's block without batch
 * norm). Read asynchronously: webgpu's synchronous read needs a browser's OffscreenCanvas.
 */
async function convGradients(): Promise<Float32Array[]> {
  const grads = tf.tidy(() => {
    const x = sinePattern([4, 12, 12, 3], 0.1) as tf.Tensor4D;
    const f = sinePattern([3, 3, 3, 8], 0.7) as tf.Tensor4D;
    const w = sinePattern([4, 5, 5, 8], 1.3);
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.maxPool(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid').mul(w).sum())([x, f]);
    return [df, dx];
  });
  const values = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose(grads);
  return values;
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
  const step = await timedTrainingStep();
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
