/**
 * Times the training step `xp run` would take for a spec (same model, loss and optimizer) on random
 * images, so a backend or model change can be judged without waiting for an epoch.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExperimentSpec } from '@xp/core';
import { benchTrainStep, type BenchResult } from '../engine/index.ts';
import { buildTrainingSetup } from './model.ts';
import { learningRateAt } from './schedule.ts';

export interface SpecBenchOptions {
  batches: number;
  warmup: number;
}

export async function benchSpecTraining(spec: ExperimentSpec, options: SpecBenchOptions): Promise<BenchResult> {
  const train = spec.train ?? {};
  const batchSize = train.batchSize ?? 128;
  const seed = spec.seed ?? 1;
  const setup = buildTrainingSetup(spec);
  const { step } = setup;
  const [channels, height, width] = spec.model?.input ?? [1, 28, 28];
  const classes = spec.model?.classes ?? 10;
  const x = tf.randomNormal([batchSize, height, width, channels], 0, 1, 'float32', seed) as tf.Tensor4D;
  const labels = tf.randomUniform([batchSize], 0, classes, 'int32', seed) as tf.Tensor1D;
  // A small rate: the timing does not depend on it, and random labels must not blow the weights up.
  const lr = Math.min(learningRateAt(train.lr ?? 0.01, train.schedule, { epoch: 0, batch: 0, batchesPerEpoch: 1, epochs: 1 }), 0.01);
  try {
    return await benchTrainStep(
      async () => {
        const loss = step(x, labels, lr);
        await loss.data();
        loss.dispose();
      },
      { batchSize, batches: options.batches, warmup: options.warmup },
    );
  } finally {
    tf.dispose([x, labels]);
    setup.dispose();
  }
}
