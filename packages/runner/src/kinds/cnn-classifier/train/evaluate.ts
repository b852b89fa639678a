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

/**
 * Somewhere else that runs `batchScores` on every batch of a set and reads them (`readScores`),
 * returning each batch's in batch order: the data-parallel workers.
 */
export interface BatchEvaluator {
  evaluate(set: ImageSet, batchSize: number, predictions: boolean): Promise<number[][]>;
}

export interface EvaluateOptions {
  /** Also return every image's predicted class and its probability (for confusion matrices, worst errors). */
  predictions?: boolean;
  /** Evaluate there instead of on this thread; the results are the same to the bit. */
  on?: BatchEvaluator;
}

/**
 * Images an evaluation takes at once: larger than a training batch (inference keeps nothing for a
 * backward pass), small enough that a data-parallel worker's heap, which never shrinks, does not
 * grow much for it.
 */
export const EVAL_BATCH = 250;

/**
 * A batch's loss sum and correct count in inference mode, then, with `predictions`, each image's
 * predicted class and its probability: what every evaluation reads, batch by batch.
 */
export function batchScores(model: tf.LayersModel, x: tf.Tensor4D, labels: tf.Tensor1D, predictions: boolean): tf.Tensor[] {
  return tf.tidy(() => {
    const output = model.apply(x, { training: false }) as tf.Tensor2D;
    const scores: tf.Tensor[] = [nllLossSum(output, labels), correctCount(output, labels)];
    // log-softmax is idempotent, so this is right whether the model ends in log-softmax or not.
    if (predictions) scores.push(tf.argMax(output, 1), tf.exp(tf.max(tf.logSoftmax(output), 1)));
    return scores;
  });
}

/** `batchScores` as one row of numbers, [loss sum, correct, predicted…, confidence…], read synchronously (workers run wasm). */
export function readScores(scores: tf.Tensor[]): number[] {
  try {
    return scores.flatMap((t) => Array.from(t.dataSync()));
  } finally {
    tf.dispose(scores);
  }
}

export async function evaluate(model: tf.LayersModel, set: ImageSet, options: EvaluateOptions = {}): Promise<Evaluation> {
  let lossSum = 0;
  let correct = 0;
  const predictions: Predictions | undefined = options.predictions
    ? { predicted: new Uint8Array(set.count), confidence: new Float32Array(set.count) }
    : undefined;
  const add = (index: number, [loss, right, ...rows]: ArrayLike<number>[]): void => {
    lossSum += loss[0];
    correct += right[0];
    if (predictions) {
      predictions.predicted.set(rows[0], index * EVAL_BATCH);
      predictions.confidence.set(rows[1], index * EVAL_BATCH);
    }
  };
  if (options.on) {
    const batches = await options.on.evaluate(set, EVAL_BATCH, predictions !== undefined);
    batches.forEach((row, index) => {
      const n = (row.length - 2) / 2;
      add(index, [[row[0]], [row[1]], ...(predictions ? [row.slice(2, 2 + n), row.slice(2 + n)] : [])]);
    });
  } else {
    for (const batch of epochBatches(set, 0, { batchSize: EVAL_BATCH, seed: 0, shuffle: false })) {
      const scores = batchScores(model, batch.x, batch.y, predictions !== undefined);
      try {
        // Asynchronous reads: the webgpu backend cannot read synchronously in Node.
        add(batch.index, await Promise.all(scores.map((t) => t.data())));
      } finally {
        tf.dispose([...scores, batch.x, batch.y]);
      }
    }
  }
  const result: Evaluation = { loss: lossSum / set.count, correct, count: set.count, accuracy: correct / set.count };
  if (predictions) result.predictions = predictions;
  return result;
}

/** The seed's line: "Test set: Average loss: 0.0184, Accuracy: 9943/10000 (99.43%)". */
export function formatEvaluation(name: string, result: Evaluation): string {
  return `${name} set: Average loss: ${result.loss.toFixed(4)}, Accuracy: ${result.correct}/${result.count} (${(result.accuracy * 100).toFixed(2)}%)`;
}
