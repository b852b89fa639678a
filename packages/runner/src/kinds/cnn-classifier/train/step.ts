/**
 * One training step: forward in training mode (batch statistics, dropout on, running statistics
 * updated by the batch-norm layers), NLL loss, gradients of the trainable weights, optimizer update.
 */
import * as tf from '@tensorflow/tfjs';
import { nllLoss } from './loss.ts';
import type { TrainOptimizer } from './optimizer.ts';

/** Returns the batch's mean loss as a scalar the caller disposes. */
export type TrainStep = (x: tf.Tensor4D, labels: tf.Tensor1D, lr: number) => tf.Scalar;

export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((weight) => weight.read() as tf.Variable);
}

/** The batch's mean loss in training mode (labels are int32 class indices). */
export function trainingLoss(model: tf.LayersModel, x: tf.Tensor4D, labels: tf.Tensor1D): tf.Scalar {
  return nllLoss(model.apply(x, { training: true }) as tf.Tensor2D, labels);
}

export function makeTrainStep(model: tf.LayersModel, variables: readonly tf.Variable[], optimizer: TrainOptimizer): TrainStep {
  return (x, labels, lr) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => trainingLoss(model, x, labels), variables as tf.Variable[]);
      optimizer.apply(
        variables.map((v) => grads[v.name]),
        lr,
      );
      return value;
    });
}
