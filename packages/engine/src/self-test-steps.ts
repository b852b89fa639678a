/**
 * What the setup commands' self-tests compute on a freshly set-up backend (`xp setup native` in
 * @xp/native, `xp setup webgpu` in ./webgpu), each in its own child process: fixed inputs both the
 * backend and `cpu` see, and one timed training step of a small convnet.
 */
import * as tf from '@tensorflow/tfjs';

export { relError } from './test-util.ts';

/** Fixed inputs (a sine pattern, not random) so the backend under test and `cpu` see the same numbers. */
export function sinePattern(shape: number[], phase: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.731 + phase)), shape);
}

/**
 * One SGD step (momentum 0.9) of a small seeded convnet on a batch of 32, after one untimed step
 * (which builds the kernels or compiles the shaders); the step's time and loss.
 */
export async function timedTrainingStep(): Promise<{ ms: number; loss: number }> {
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
  const x = sinePattern([32, 28, 28, 1], 0.3);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10);
  await model.trainOnBatch(x, y);
  const t0 = performance.now();
  const loss = (await model.trainOnBatch(x, y)) as number;
  const ms = performance.now() - t0;
  tf.dispose([x, y]);
  model.dispose();
  return { ms, loss };
}
