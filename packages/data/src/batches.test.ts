import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchesPerEpoch, epochBatches, epochOrder } from './batches.ts';
import type { ImageSet } from './mnist.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 10 images of 28×28 where every pixel of image i equals i, label i % 10. */
function numberedSet(count: number): ImageSet {
  const images = new Float32Array(count * 784);
  for (let i = 0; i < count; i++) images.fill(i, i * 784, (i + 1) * 784);
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { count, height: 28, width: 28, channels: 1, images, labels, background: -1 };
}

function epochIds(set: ImageSet, epoch: number, seed: number, batchSize = 4): number[][] {
  const ids: number[][] = [];
  for (const batch of epochBatches(set, epoch, { batchSize, seed })) {
    const x = batch.x.dataSync();
    ids.push(Array.from({ length: batch.size }, (_, i) => x[i * 784]));
    tf.dispose([batch.x, batch.y]);
  }
  return ids;
}

describe('epochBatches', () => {
  const set = numberedSet(10);

  it('yields NHWC images and int32 labels covering the epoch once', () => {
    const batches = [...epochBatches(set, 0, { batchSize: 4, seed: 1 })];
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(batches[0].x.shape).toEqual([4, 28, 28, 1]);
    expect(batches[0].y.dtype).toBe('int32');
    const seen = batches.flatMap((b) => Array.from(b.y.dataSync()));
    const ids = batches.flatMap((b) => Array.from({ length: b.size }, (_, i) => b.x.dataSync()[i * 784]));
    expect([...ids].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen).toEqual(ids.map((id) => id % 10));
    batches.forEach((b) => tf.dispose([b.x, b.y]));
    expect(batchesPerEpoch(10, 4)).toBe(3);
    expect(batchesPerEpoch(10, 4, true)).toBe(2);
  });

  it('is the same for the same seed and epoch, and reshuffles every epoch', () => {
    expect(epochIds(set, 3, 42)).toEqual(epochIds(set, 3, 42));
    const big = numberedSet(200);
    const e0 = epochIds(big, 0, 42, 200)[0];
    const e1 = epochIds(big, 1, 42, 200)[0];
    const otherSeed = epochIds(big, 0, 43, 200)[0];
    expect(e0).not.toEqual(e1);
    expect(e0).not.toEqual(otherSeed);
    // Epoch 5's order does not depend on having run epochs 0..4.
    expect(Array.from(epochOrder(200, 42, 5))).toEqual(Array.from(epochOrder(200, 42, 5)));
  });

  it('keeps file order without shuffling and gives one-hot labels on request', () => {
    const [first] = epochBatches(set, 0, { batchSize: 3, seed: 1, shuffle: false, labels: 'one-hot' });
    expect(first.y.shape).toEqual([3, 10]);
    expect(first.y.arraySync()[2]).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    tf.dispose([first.x, first.y]);
  });

  it('resumes mid-epoch with the same batches', () => {
    const all = epochIds(set, 2, 5, 3);
    const resumed: number[][] = [];
    for (const batch of epochBatches(set, 2, { batchSize: 3, seed: 5, startBatch: 2 })) {
      const x = batch.x.dataSync();
      resumed.push(Array.from({ length: batch.size }, (_, i) => x[i * 784]));
      tf.dispose([batch.x, batch.y]);
    }
    expect(resumed).toEqual(all.slice(2));
  });

  it('resumes mid-epoch with the same augmented images', () => {
    const options = { batchSize: 3, seed: 5, augment: { rotation: 10, shift: 0.1 } };
    const pixels = (start: number) =>
      [...epochBatches(set, 1, { ...options, startBatch: start })].map((b) => {
        const data = Array.from(b.x.dataSync());
        tf.dispose([b.x, b.y]);
        return data;
      });
    expect(pixels(2)).toEqual(pixels(0).slice(2));
  });

  it('augments deterministically, only when asked, and fills uncovered pixels with the background', () => {
    // A single bright pixel near the centre.
    const images = new Float32Array(784).fill(-1);
    images[14 * 28 + 14] = 1;
    const dot: ImageSet = { count: 1, height: 28, width: 28, channels: 1, images, labels: new Uint8Array([0]), background: -1 };
    const run = (epoch: number) => {
      const [b] = epochBatches(dot, epoch, { batchSize: 1, seed: 9, augment: { rotation: 15, shift: 0.2 } });
      const data = Array.from(b.x.dataSync());
      tf.dispose([b.x, b.y]);
      return data;
    };
    const plain = epochBatches(dot, 0, { batchSize: 1, seed: 9 }).next().value!;
    expect(Array.from(plain.x.dataSync())).toEqual(Array.from(images));
    tf.dispose([plain.x, plain.y]);
    expect(run(0)).toEqual(run(0));
    expect(run(0)).not.toEqual(Array.from(images));
    expect(run(0)).not.toEqual(run(1));
    expect(Math.min(...run(0))).toBeCloseTo(-1, 6);
  });
});
