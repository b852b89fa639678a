/**
 * One pass over the training set (or what is left of it after a resume), batch by batch, with the
 * progress bar. It stops early, after a whole batch, when the run is interrupted or the loss stops
 * being a number; `progress` always says how far it got, which is what a checkpoint saves.
 */
import * as tf from '@tensorflow/tfjs';
import { batchesPerEpoch, epochBatches, type AugmentOptions, type Batch, type ImageSet } from '@xp/data';
import type { TrainingProgress } from './checkpoint.ts';
import { startEpochProgress } from './progress.ts';
import { learningRateAt, type LrSchedule } from './schedule.ts';
import type { TrainStep } from './step.ts';

/** One training step on a batch at rate `lr`, resolving to its mean loss: on this thread or on workers. */
export type EpochStep = (x: tf.Tensor4D, labels: tf.Tensor1D, lr: number) => Promise<number>;

/** The single-thread step as an EpochStep. */
export function localStep(step: TrainStep): EpochStep {
  return async (x, labels, lr) => {
    const loss = step(x, labels, lr);
    try {
      return (await loss.data())[0];
    } finally {
      loss.dispose();
    }
  };
}

/** An epoch's batches from `startBatch` on: `epochBatches` on this thread, or a batch loader thread's (@xp/data prefetch). */
export type BatchSource = (epoch: number, startBatch: number) => Generator<Batch<tf.Tensor1D>>;

export interface EpochSettings {
  epochs: number;
  batchSize: number;
  seed: number;
  /** train.lr; absent with a one-cycle schedule, which gives its own rates. */
  baseLr: number | undefined;
  schedule?: LrSchedule;
  augment?: AugmentOptions;
}

export type EpochEnd =
  | { kind: 'finished'; trainLoss: number; seconds: number; imagesPerSec: number }
  | { kind: 'interrupted' }
  | { kind: 'diverged'; message: string };

/** Yields to the event loop, where Ctrl-C's handler and the progress bar's timer run. */
const nextTick = (): Promise<void> => new Promise((done) => setImmediate(done));

export async function trainEpoch(
  set: ImageSet, step: EpochStep, settings: EpochSettings, progress: TrainingProgress, signal: AbortSignal, source?: BatchSource,
): Promise<EpochEnd> {
  const { epoch } = progress;
  const batches = batchesPerEpoch(set.count, settings.batchSize);
  const rateAt = (batch: number): number =>
    learningRateAt(settings.baseLr, settings.schedule, { epoch, batch, batchesPerEpoch: batches, epochs: settings.epochs });
  const bar = startEpochProgress(epoch + 1, settings.epochs, batches, progress.batch);
  // Time already spent on this epoch before a resume counts towards it.
  const started = performance.now() - progress.partial.seconds * 1000;
  const elapsed = (): number => (performance.now() - started) / 1000;
  let lr = rateAt(progress.batch);
  const order = source
    ? source(epoch, progress.batch)
    : epochBatches(set, epoch, { batchSize: settings.batchSize, seed: settings.seed, augment: settings.augment, startBatch: progress.batch });
  let next = order.next();
  try {
    while (!next.done) {
      const batch = next.value;
      lr = rateAt(batch.index);
      let value: number;
      try {
        const loss = step(batch.x, batch.y, lr);
        // The next batch is assembled (and augmented) while this step runs on worker threads; from
        // a batch loader thread, it was made while this step ran.
        try {
          next = order.next();
        } catch (error) {
          await loss.catch(() => undefined);
          throw error;
        }
        value = await loss;
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
      if (!Number.isFinite(value)) {
        return { kind: 'diverged', message: `training diverged: loss is ${value} at epoch ${epoch + 1}, batch ${batch.index + 1} (lr ${lr})` };
      }
      progress.partial.lossSum += value * batch.size;
      progress.partial.images += batch.size;
      progress.batch = batch.index + 1;
      bar.update(progress.batch, { loss: value, imagesPerSec: progress.partial.images / Math.max(elapsed(), 1e-9) });
      await nextTick();
      if (signal.aborted) {
        progress.partial.seconds = elapsed();
        return { kind: 'interrupted' };
      }
    }
  } finally {
    if (!next.done) tf.dispose([next.value.x, next.value.y]);
    bar.stop();
    order.return(undefined);
  }
  const seconds = elapsed();
  const images = Math.max(progress.partial.images, 1);
  return { kind: 'finished', trainLoss: progress.partial.lossSum / images, seconds, imagesPerSec: images / seconds };
}
