/**
 * Deterministic mini-batches as plain arrays (no tensors, so a batch loader thread can make them
 * without TensorFlow.js: ./prefetch.ts). Epoch e's order is a function of (seed, e) alone, so a run
 * resumed at epoch e sees exactly the batches an uninterrupted run would.
 */
import { drawTransform, isAugmenting, transformImage } from './augment.ts';
import type { AugmentOptions } from './augment.ts';
import type { ImageSet } from './mnist.ts';
import { seededRandom, shuffledIndices } from './random.ts';

/** Stream identifiers mixed into the seed so shuffling and augmentation never share random numbers. */
const SHUFFLE_STREAM = 0x5f1e;
const AUGMENT_STREAM = 0xa06e;

export type LabelEncoding = 'index' | 'one-hot';

export interface BatchOptions {
  batchSize: number;
  seed: number;
  /** Reshuffle every epoch (default true); false keeps file order, as for evaluation. */
  shuffle?: boolean;
  /** 'index' (default): int32 class indices [b]; 'one-hot': float32 [b, classes]. */
  labels?: LabelEncoding;
  /** Number of classes for one-hot labels (default 10). */
  classes?: number;
  /** Random rotation/shift, off unless given. */
  augment?: AugmentOptions;
  /** Drop a last batch smaller than batchSize (default false, as PyTorch's DataLoader). */
  dropRemainder?: boolean;
  /** Skip the epoch's first N batches (resuming mid-epoch). */
  startBatch?: number;
}

export function batchesPerEpoch(count: number, batchSize: number, dropRemainder = false): number {
  return dropRemainder ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** The order in which epoch `epoch` visits the `count` examples; depends only on (count, seed, epoch). */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  return shuffledIndices(count, seededRandom(seed, SHUFFLE_STREAM, epoch));
}

/** A batch as plain arrays, before it becomes tensors: what a batch loader thread hands over. */
export interface BatchArrays {
  /** size·height·width·channels pixels, NHWC. */
  pixels: Float32Array;
  /** Class indices [size], or one-hot rows [size·classes]. */
  labels: Int32Array | Float32Array;
  index: number;
  size: number;
}

/**
 * The epoch's batches as arrays: shuffled (unless `shuffle: false`), augmented when asked, from
 * `startBatch` on. `epochBatches` is this with tensors made; a batch loader thread runs it ahead.
 */
export function* epochBatchArrays(set: ImageSet, epoch: number, options: BatchOptions): Generator<BatchArrays> {
  const { batchSize, seed } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = options.shuffle === false ? null : epochOrder(set.count, seed, epoch);
  const imageSize = set.height * set.width * set.channels;
  const augment = isAugmenting(options.augment) ? options.augment : undefined;
  if (augment && set.channels !== 1) throw new Error('augmentation supports single-channel images only');
  const augmentRandom = seededRandom(seed, AUGMENT_STREAM, epoch);
  const oneHot = options.labels === 'one-hot';
  const classes = options.classes ?? 10;
  const total = batchesPerEpoch(set.count, batchSize, options.dropRemainder);

  for (let b = 0; b < total; b++) {
    const start = b * batchSize;
    const size = Math.min(batchSize, set.count - start);
    // Augmentation draws are made for skipped batches too, so a resumed epoch matches a full one.
    const skipped = b < (options.startBatch ?? 0);
    if (skipped && !augment) continue;
    const pixels = new Float32Array(size * imageSize);
    const labels = oneHot ? new Float32Array(size * classes) : new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const example = order === null ? start + i : order[start + i];
      if (augment) {
        const transform = drawTransform(augment, set.height, set.width, augmentRandom);
        if (skipped) continue;
        transformImage(set.images, example * imageSize, pixels, i * imageSize, set.height, set.width, transform, set.background);
      } else {
        pixels.set(set.images.subarray(example * imageSize, (example + 1) * imageSize), i * imageSize);
      }
      const label = set.labels[example];
      if (oneHot) labels[i * classes + label] = 1;
      else labels[i] = label;
    }
    if (skipped) continue;
    yield { pixels, labels, index: b, size };
  }
}

