import * as tf from '@tensorflow/tfjs';
import { buildModel } from '@xp/models';
import { describe, expect, it } from 'vitest';
import { createOptimizer } from './optimizer.ts';
import { makeTrainStep, trainableVariables } from './step.ts';

describe('a training step', () => {
  const model = buildModel(
    {
      input: [1, 6, 6],
      classes: 2,
      blocks: { all: [{ conv2d: { filters: 3, kernel: 3 } }, 'relu', 'batchnorm', { 'spatial-dropout': 0.1 }, 'global-avg-pool', { dense: { units: 2 } }, 'log-softmax'] },
    },
    { seed: 3 },
  );
  const variables = trainableVariables(model);
  const step = makeTrainStep(model, variables, createOptimizer(variables, { name: 'sgd', momentum: 0.9, weightDecay: 0 }));
  const x = tf.randomNormal([8, 6, 6, 1], 2, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32');

  it('lowers the loss, updates batch-norm running statistics, and leaks no tensors', () => {
    const movingMean = model.weights.find((w) => w.originalName.endsWith('moving_mean'))!;
    const meanBefore = Array.from(movingMean.read().dataSync());
    const first = step(x, labels, 0.1);
    const firstLoss = first.dataSync()[0];
    first.dispose();
    const tensors = tf.memory().numTensors;
    let last = 0;
    for (let i = 0; i < 20; i++) {
      const loss = step(x, labels, 0.1);
      last = loss.dataSync()[0];
      loss.dispose();
    }
    expect(last).toBeLessThan(firstLoss);
    expect(Array.from(movingMean.read().dataSync())).not.toEqual(meanBefore);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
