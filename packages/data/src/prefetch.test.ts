import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochBatches } from './batches.ts';
import type { ImageSet } from './mnist.ts';
import { canPrefetch, startBatchPrefetcher, type BatchPrefetcher } from './prefetch.ts';
import { sharedFloat32, sharedUint8 } from './shared-arrays.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** `count` images of 12×10 (channels as asked) with distinct pixels, in shared memory. */
function sharedSet(count: number, channels = 1): ImageSet {
  const images = sharedFloat32(count * 120 * channels);
  for (let i = 0; i < images.length; i++) images[i] = Math.sin(i * 0.731) * 2;
  const labels = sharedUint8(Array.from({ length: count }, (_, i) => (i * 7) % 10));
  return { count, height: 12, width: 10, channels, images, labels, background: -0.5 };
}

type Rows = { index: number; size: number; x: number[]; y: number[] }[];
function drain(batches: Iterable<{ x: tf.Tensor; y: tf.Tensor; index: number; size: number }>, limit = Infinity): Rows {
  const rows: Rows = [];
  for (const b of batches) {
    rows.push({ index: b.index, size: b.size, x: Array.from(b.x.dataSync()), y: Array.from(b.y.dataSync()) });
    expect(b.x.shape.slice(1)).toEqual([12, 10, 1]);
    expect(b.y.dtype).toBe('int32');
    tf.dispose([b.x, b.y]);
    if (rows.length >= limit) break;
  }
  return rows;
}

describe('startBatchPrefetcher', () => {
  const set = sharedSet(103);
  const options = { batchSize: 16, seed: 4, augment: { rotation: 12, shift: 0.1 } };
  let prefetcher: BatchPrefetcher;
  beforeAll(async () => {
    prefetcher = await startBatchPrefetcher(set, options);
  });
  afterAll(async () => {
    await prefetcher.close();
  });

  it('yields each epoch\'s batches bit for bit as epochBatches does, augmented, the last one smaller', () => {
    for (const epoch of [0, 1, 2]) {
      const ahead = drain(prefetcher.epoch(epoch));
      expect(ahead.map((b) => b.size)).toEqual([16, 16, 16, 16, 16, 16, 7]);
      expect(ahead).toEqual(drain(epochBatches(set, epoch, options)));
    }
  });

  it('resumes mid-epoch with the same batches, and a new epoch after one left early starts clean', () => {
    const resumed = drain(prefetcher.epoch(1, 4));
    expect(resumed.map((b) => b.index)).toEqual([4, 5, 6]);
    expect(resumed).toEqual(drain(epochBatches(set, 1, { ...options, startBatch: 4 })));
    // Left after two batches while the loader is ahead: the next request is answered from its start.
    expect(drain(prefetcher.epoch(2), 2).map((b) => b.index)).toEqual([0, 1]);
    expect(drain(prefetcher.epoch(3))).toEqual(drain(epochBatches(set, 3, options)));
  });
});

describe('the loader thread', () => {
  it('needs the set in shared memory', async () => {
    const plain: ImageSet = { ...sharedSet(4), images: new Float32Array(480) };
    expect(canPrefetch(plain)).toBe(false);
    expect(canPrefetch(sharedSet(4))).toBe(true);
    await expect(startBatchPrefetcher(plain, { batchSize: 2, seed: 1 })).rejects.toThrow(/must be in shared memory/);
  });

  it('passes on what went wrong in it, as an error of the epoch', async () => {
    // Augmentation takes single-channel images only: the loader's generator throws at its first batch.
    const prefetcher = await startBatchPrefetcher(sharedSet(8, 3), { batchSize: 4, seed: 1, augment: { rotation: 5, shift: 0 } });
    try {
      expect(() => drain(prefetcher.epoch(0))).toThrow('the batch loader thread failed: augmentation supports single-channel images only');
    } finally {
      await prefetcher.close();
    }
  });
});
