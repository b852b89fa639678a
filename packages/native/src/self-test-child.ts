/**
 * Runs in a child process (a binding that fails to load, or crashes while loading, must not take the
 * setup down with it): loads the native package, reports what TensorFlow says about itself, checks
 * one gradient against TensorFlow.js's `cpu` backend, times one training step, and prints a
 * SelfTestReport as JSON on its last line of stdout.
 *
 * argv: the npm package to load.
 */
import * as tf from '@tensorflow/tfjs';
import { relError, sinePattern, timedTrainingStep } from '@xp/engine/self-test-steps';
import type { SelfTestReport } from './self-test.ts';

interface NativeBinding {
  TF_Version?: string;
  isUsingGpuDevice?: boolean | (() => boolean);
}

/** d/dfilter of a convolution followed by max pooling (no ReLU or batch norm: nothing to flip). */
function filterGradient(): Float32Array {
  return tf.tidy(() => {
    const x = sinePattern([4, 12, 12, 3], 0.1) as tf.Tensor4D;
    const f = sinePattern([3, 3, 3, 8], 0.7) as tf.Tensor4D;
    const w = sinePattern([4, 5, 5, 8], 1.3);
    return tf.grad((filter: tf.Tensor) => tf.maxPool(tf.conv2d(x, filter as tf.Tensor4D, 1, 'valid'), 2, 2, 'valid').mul(w).sum())(f).dataSync() as Float32Array;
  });
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
  const step = await timedTrainingStep();
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
