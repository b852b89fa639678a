/** Inference-mode evaluation (batch norm on running statistics, no dropout) over a whole image set. */
import * as tf from '@tensorflow/tfjs';
import { epochBatches, type ImageSet } from '@xp/data';
import { correctCount, nllLossSum } from './loss.ts';

export interface Evaluation {
  /** Mean NLL per image. */
  loss: number;
  correct: number;
  count: number;
  accuracy: number;
}

/** Large batches: inference keeps no activations for a backward pass, so memory allows it. */
const EVAL_BATCH = 1000;

export async function evaluate(model: tf.LayersModel, set: ImageSet): Promise<Evaluation> {
  let lossSum = 0;
  let correct = 0;
  for (const batch of epochBatches(set, 0, { batchSize: EVAL_BATCH, seed: 0, shuffle: false })) {
    const [loss, right] = tf.tidy(() => {
      const output = model.apply(batch.x, { training: false }) as tf.Tensor2D;
      return [nllLossSum(output, batch.y), correctCount(output, batch.y)];
    });
    lossSum += (await loss.data())[0];
    correct += (await right.data())[0];
    tf.dispose([loss, right, batch.x, batch.y]);
  }
  return { loss: lossSum / set.count, correct, count: set.count, accuracy: correct / set.count };
}

/** The seed's line: "Test set: Average loss: 0.0184, Accuracy: 9943/10000 (99.43%)". */
export function formatEvaluation(name: string, result: Evaluation): string {
  return `${name} set: Average loss: ${result.loss.toFixed(4)}, Accuracy: ${result.correct}/${result.count} (${(result.accuracy * 100).toFixed(2)}%)`;
}
