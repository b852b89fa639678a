/** A small convnet for the data-parallel tests, identical in the main thread and the workers. */
import * as tf from '@tensorflow/tfjs';
import { reluBatchNorm } from '../ops.ts';
import type { BatchSlice, DataParallelTask } from '../parallel.ts';

export interface FixtureTask extends DataParallelTask {
  loss(x: tf.Tensor, y: tf.Tensor, slice?: BatchSlice): tf.Scalar;
}

/**
 * With `{apply: true}` the task updates its weights itself (momentum SGD at the step's rate) and
 * can export and import its state; otherwise it hands a tf optimizer to the worker.
 */
export function setup(args?: { apply?: boolean }): FixtureTask & { optimizer: tf.Optimizer } {
  // Variable names are global to a thread: each flavour has its own.
  const prefix = args?.apply ? 'apply_' : '';
  const w1 = tf.variable(tf.randomNormal([3, 3, 1, 8], 0, 0.3, 'float32', 1), true, `${prefix}w1`);
  const b1 = tf.variable(tf.zeros([8]), true, `${prefix}b1`);
  const g1 = tf.variable(tf.ones([8]), true, `${prefix}g1`);
  const be1 = tf.variable(tf.zeros([8]), true, `${prefix}be1`);
  const w2 = tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 0.3, 'float32', 2), true, `${prefix}w2`);
  const b2 = tf.variable(tf.zeros([8]), true, `${prefix}b2`);
  const g2 = tf.variable(tf.ones([8]), true, `${prefix}g2`);
  const be2 = tf.variable(tf.zeros([8]), true, `${prefix}be2`);
  const fc = tf.variable(tf.randomNormal([8, 10], 0, 0.3, 'float32', 3), true, `${prefix}fc`);
  const variables = [w1, b1, g1, be1, w2, b2, g2, be2, fc];
  const velocity = variables.map((v) => tf.variable(tf.zerosLike(v), false));
  const task: FixtureTask & { optimizer: tf.Optimizer } = {
    variables,
    optimizer: tf.train.momentum(0.05, 0.9),
    loss: (x, y) => {
      let h = tf.add(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'valid'), b1) as tf.Tensor4D;
      h = reluBatchNorm(h, g1 as tf.Tensor1D, be1 as tf.Tensor1D).y;
      h = tf.maxPool(h, 2, 2, 'valid');
      h = tf.fused.conv2d({ x: h, filter: w2 as tf.Tensor4D, bias: b2, pad: 'same', strides: 1 });
      h = reluBatchNorm(h, g2 as tf.Tensor1D, be2 as tf.Tensor1D).y;
      const logits = tf.matMul(tf.mean(h, [1, 2]), fc as tf.Tensor2D);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y.toInt(), 10), logits) as tf.Scalar;
    },
  };
  if (!args?.apply) return task;
  return {
    ...task,
    apply: (grads, lr) => tf.tidy(() => {
      grads.forEach((g, i) => {
        velocity[i].assign(tf.add(tf.mul(velocity[i], 0.9), g));
        variables[i].assign(tf.sub(variables[i], tf.mul(velocity[i], lr ?? 0.05)));
      });
    }),
    exportState: () => ({ arrays: [...variables, ...velocity].map((v) => Float32Array.from(v.dataSync())) }),
    importState: (state) => [...variables, ...velocity].forEach((v, i) => v.assign(tf.tensor(state.arrays[i], v.shape))),
  };
}
