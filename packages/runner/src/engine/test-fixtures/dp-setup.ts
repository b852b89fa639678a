/** A small convnet for the data-parallel tests, identical in the main thread and the workers. */
import * as tf from '@tensorflow/tfjs';
import { reluBatchNorm } from '../ops.ts';
import type { DataParallelTask } from '../parallel.ts';

export function setup(): DataParallelTask {
  const w1 = tf.variable(tf.randomNormal([3, 3, 1, 8], 0, 0.3, 'float32', 1), true, 'w1');
  const b1 = tf.variable(tf.zeros([8]), true, 'b1');
  const g1 = tf.variable(tf.ones([8]), true, 'g1');
  const be1 = tf.variable(tf.zeros([8]), true, 'be1');
  const w2 = tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 0.3, 'float32', 2), true, 'w2');
  const b2 = tf.variable(tf.zeros([8]), true, 'b2');
  const g2 = tf.variable(tf.ones([8]), true, 'g2');
  const be2 = tf.variable(tf.zeros([8]), true, 'be2');
  const fc = tf.variable(tf.randomNormal([8, 10], 0, 0.3, 'float32', 3), true, 'fc');
  return {
    variables: [w1, b1, g1, be1, w2, b2, g2, be2, fc],
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
}
