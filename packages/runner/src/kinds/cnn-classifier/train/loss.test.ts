import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { correctCount, nllLoss, nllLossSum } from './loss.ts';

describe('NLL loss on log-probabilities', () => {
  it('is the mean of −log p(label), as PyTorch F.nll_loss', () => {
    const probs = [
      [0.7, 0.2, 0.1],
      [0.1, 0.1, 0.8],
    ];
    const logProbs = tf.log(tf.tensor2d(probs)) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1], 'int32');
    const expected = -(Math.log(0.7) + Math.log(0.1)) / 2;
    expect(nllLoss(logProbs, labels).dataSync()[0]).toBeCloseTo(expected, 5);
    expect(nllLossSum(logProbs, labels).dataSync()[0]).toBeCloseTo(expected * 2, 5);
    expect(correctCount(logProbs, labels).dataSync()[0]).toBe(1);
  });

  it('gives gradient (softmax − onehot)/N through log-softmax', () => {
    const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const labels = tf.tensor1d([2, 0], 'int32');
    const grad = tf.grad((z: tf.Tensor) => nllLoss(tf.logSoftmax(z) as tf.Tensor2D, labels))(logits);
    const expected = tf.div(tf.sub(tf.softmax(logits), tf.oneHot(labels, 3)), 2);
    expect(Array.from(grad.dataSync())).toEqual(Array.from(expected.dataSync()).map((v) => expect.closeTo(v, 6)));
  });

  it('leaves no tensors behind', () => {
    const logProbs = tf.logSoftmax(tf.randomNormal([4, 10])) as tf.Tensor2D;
    const labels = tf.tensor1d([1, 2, 3, 4], 'int32');
    const before = tf.memory().numTensors;
    tf.dispose([nllLoss(logProbs, labels), correctCount(logProbs, labels)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
