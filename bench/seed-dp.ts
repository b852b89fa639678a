/** Setup module for data-parallel training of the seed network (see packages/engine/src/parallel.ts). */
import * as tf from '@tensorflow/tfjs';
import type { DataParallelTask } from '@xp/engine';
import { buildSeedNet } from './seed-cnn.ts';

export function setup(): DataParallelTask {
  const net = buildSeedNet({ bn: 'fused' });
  return {
    variables: net.variables,
    loss: (x, y) => net.loss(x as tf.Tensor4D, y as tf.Tensor1D, true),
    optimizer: tf.train.momentum(0.01, 0.9),
  };
}
