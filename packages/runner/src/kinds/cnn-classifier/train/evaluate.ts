/** Inference-mode evaluation (batch norm on running statistics, no dropout) over a whole image set. */
import * as tf from '@tensorflow/tfjs';
import { epochBatches, type ImageSet } from '@xp/data';
import { correctCount, nllLossSum } from './loss.ts';

/** What the model said about each image of the set, in the set's order. */
export interface Predictions {
  /** The class with the largest output. */
  predicted: Uint8Array;
  /** The probability the model gives that class (softmax of its outputs). */
  confidence: Float32Array;
}

export interface Evaluation {
  /** Mean NLL per image. */
  loss: number;
  correct: number;
  count: number;
  accuracy: number;
  /** Present when asked for with `{ predictions: true }`. */
  predictions?: Predictions;
}

/** Somewhere else that runs `batchScores` on every batch of a set, in batch order (data-parallel workers). */
export interface BatchEvaluator {
  evaluate(set: ImageSet, batchSize: number): Promise<number[][]>;
}

export interface EvaluateOptions {
  /** Also return every image's predicted class and its probability (for confusion matrices, worst errors). */
  predictions?: boolean;
  /** Evaluate there instead of on this thread (not with `predictions`); the totals are the same to the bit. */
  on?: BatchEvaluator;
}

/** Large batches: inference keeps no activations for a backward pass, so memory allows it. */
export const EVAL_BATCH = 1000;

/** A batch's loss sum and correct count in inference mode: what every evaluation adds up, batch by batch. */
export function batchScores(model: tf.LayersModel, x: tf.Tensor4D, labels: tf.Tensor1D): [number, number] {
  return tf.tidy(() => {
    const output = model.apply(x, { training: false }) as tf.Tensor2D;
    return [nllLossSum(output, labels).dataSync()[0], correctCount(output, labels).dataSync()[0]];
  });
}

export async function evaluate(model: tf.LayersModel, set: ImageSet, options: EvaluateOptions = {}): Promise<Evaluation> {
  let lossSum = 0;
  let correct = 0;
  if (options.on && !options.predictions) {
    for (const [loss, right] of await options.on.evaluate(set, EVAL_BATCH)) {
      lossSum += loss;
      correct += right;
    }
    return { loss: lossSum / set.count, correct, count: set.count, accuracy: correct / set.count };
  }
  const predictions: Predictions | undefined = options.predictions
    ? { predicted: new Uint8Array(set.count), confidence: new Float32Array(set.count) }
    : undefined;
  for (const batch of epochBatches(set, 0, { batchSize: EVAL_BATCH, seed: 0, shuffle: false })) {
    const [loss, right, predicted, confidence] = tf.tidy(() => {
      const output = model.apply(batch.x, { training: false }) as tf.Tensor2D;
      const scores: tf.Tensor[] = [nllLossSum(output, batch.y), correctCount(output, batch.y)];
      if (predictions) {
        // log-softmax is idempotent, so this is right whether the model ends in log-softmax or not.
        scores.push(tf.argMax(output, 1), tf.exp(tf.max(tf.logSoftmax(output), 1)));
      }
      return scores;
    });
    lossSum += (await loss.data())[0];
    correct += (await right.data())[0];
    if (predictions) {
      const offset = batch.index * EVAL_BATCH;
      predictions.predicted.set(await predicted.data(), offset);
      predictions.confidence.set(await confidence.data(), offset);
    }
    tf.dispose([loss, right, predicted, confidence, batch.x, batch.y].filter((t) => t !== undefined));
  }
  const result: Evaluation = { loss: lossSum / set.count, correct, count: set.count, accuracy: correct / set.count };
  if (predictions) result.predictions = predictions;
  return result;
}

/** The seed's line: "Test set: Average loss: 0.0184, Accuracy: 9943/10000 (99.43%)". */
export function formatEvaluation(name: string, result: Evaluation): string {
  return `${name} set: Average loss: ${result.loss.toFixed(4)}, Accuracy: ${result.correct}/${result.count} (${(result.accuracy * 100).toFixed(2)}%)`;
}
