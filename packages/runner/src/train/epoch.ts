/**
 * One pass over the training set (or what is left of it after a resume), batch by batch, with the
 * progress bar. It stops early, after a whole batch, when the run is interrupted or the loss stops
 * being a number; `progress` always says how far it got, which is what a checkpoint saves.
 */
import * as tf from '@tensorflow/tfjs';
import { batchesPerEpoch, epochBatches, type AugmentOptions, type ImageSet } from '@xp/data';
import type { TrainingProgress } from './checkpoint.ts';
import { startEpochProgress } from './progress.ts';
import { learningRateAt, type LrSchedule } from './schedule.ts';
import type { TrainStep } from './step.ts';

export interface EpochSettings {
  epochs: number;
  batchSize: number;
  seed: number;
  baseLr: number;
  schedule?: LrSchedule;
  augment?: AugmentOptions;
}

export type EpochEnd =
  | { kind: 'finished'; trainLoss: number; seconds: number; imagesPerSec: number; lastLr: number }
  | { kind: 'interrupted' }
  | { kind: 'diverged'; message: string };

/** Yields to the event loop, where Ctrl-C's handler and the progress bar's timer run. */
const nextTick = (): Promise<void> => new Promise((done) => setImmediate(done));

export async function trainEpoch(set: ImageSet, step: TrainStep, settings: EpochSettings, progress: TrainingProgress, signal: AbortSignal): Promise<EpochEnd> {
  const { epoch } = progress;
  const batches = batchesPerEpoch(set.count, settings.batchSize);
  const rateAt = (batch: number): number =>
    learningRateAt(settings.baseLr, settings.schedule, { epoch, batch, batchesPerEpoch: batches, epochs: settings.epochs });
  const bar = startEpochProgress(epoch + 1, settings.epochs, batches, progress.batch);
  // Time already spent on this epoch before a resume counts towards it.
  const started = performance.now() - progress.partial.seconds * 1000;
  const elapsed = (): number => (performance.now() - started) / 1000;
  let lr = rateAt(progress.batch);
  const order = epochBatches(set, epoch, { batchSize: settings.batchSize, seed: settings.seed, augment: settings.augment, startBatch: progress.batch });
  try {
    for (const batch of order) {
      lr = rateAt(batch.index);
      const loss = step(batch.x, batch.y, lr);
      const value = (await loss.data())[0];
      tf.dispose([loss, batch.x, batch.y]);
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
    bar.stop();
    order.return(undefined);
  }
  const seconds = elapsed();
  const images = Math.max(progress.partial.images, 1);
  return { kind: 'finished', trainLoss: progress.partial.lossSum / images, seconds, imagesPerSec: images / seconds, lastLr: lr };
}
