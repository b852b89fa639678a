/**
 * Deterministic mini-batches as tensors: ./batch-arrays.ts's arrays, each batch built from a fresh
 * slice, so at most one batch's copy exists beside the dataset; the caller disposes it.
 */
import * as tf from '@tensorflow/tfjs';
import { epochBatchArrays, type BatchArrays, type BatchOptions } from './batch-arrays.ts';
import type { ImageSet } from './mnist.ts';

export { batchesPerEpoch, epochBatchArrays, epochOrder } from './batch-arrays.ts';
export type { BatchArrays, BatchOptions, LabelEncoding } from './batch-arrays.ts';

export interface Batch<Y extends tf.Tensor = tf.Tensor1D> {
  /** [b, height, width, channels], NHWC. */
  x: tf.Tensor4D;
  y: Y;
  /** Position of this batch in the epoch. */
  index: number;
  /** Images in this batch (the last one may be smaller). */
  size: number;
}

/** The tensors of one batch's arrays (NHWC images; int32 indices or float32 one-hot rows). */
export function batchTensors(set: Pick<ImageSet, 'height' | 'width' | 'channels'>, arrays: BatchArrays, oneHot: boolean): Batch<tf.Tensor1D> | Batch<tf.Tensor2D> {
  const { pixels, labels, index, size } = arrays;
  const x = tf.tensor4d(pixels, [size, set.height, set.width, set.channels]);
  const y = oneHot ? tf.tensor2d(labels, [size, labels.length / size], 'float32') : tf.tensor1d(labels, 'int32');
  return { x, y, index, size } as Batch<tf.Tensor1D> | Batch<tf.Tensor2D>;
}

export function epochBatches(
  set: ImageSet,
  epoch: number,
  options: BatchOptions & { labels: 'one-hot' },
): Generator<Batch<tf.Tensor2D>>;
export function epochBatches(set: ImageSet, epoch: number, options: BatchOptions): Generator<Batch<tf.Tensor1D>>;
export function* epochBatches(
  set: ImageSet,
  epoch: number,
  options: BatchOptions,
): Generator<Batch<tf.Tensor1D> | Batch<tf.Tensor2D>> {
  for (const arrays of epochBatchArrays(set, epoch, options)) yield batchTensors(set, arrays, options.labels === 'one-hot');
}
