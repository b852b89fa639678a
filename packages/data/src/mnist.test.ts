import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadMnist, MNIST_FILES } from './mnist.ts';
import { idxImagesBytes, idxLabelsBytes } from './test-files.ts';

const root = mkdtempSync(join(tmpdir(), 'xp-mnist-'));

/** A tiny MNIST-shaped dataset: image i is filled with the value i. */
function tinyDataset(name: string, opts: { trainLabels?: number[]; gzip?: boolean } = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const put = (file: string, bytes: Uint8Array) =>
    writeFileSync(join(dir, opts.gzip ? `${file}.gz` : file), opts.gzip ? gzipSync(bytes) : bytes);
  put(MNIST_FILES.trainImages, idxImagesBytes(10, 28, 28, (i) => i * 20));
  put(MNIST_FILES.trainLabels, idxLabelsBytes(opts.trainLabels ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  put(MNIST_FILES.testImages, idxImagesBytes(4, 28, 28, () => 255));
  put(MNIST_FILES.testLabels, idxLabelsBytes([3, 3, 3, 3]));
  return dir;
}

describe('loadMnist on the real files', () => {
  const data = loadMnist({ normalize: { mean: 0.1307, std: 0.3081 } });

  it('has the files’ train and test sets and their first labels', () => {
    expect(data.train.count).toBe(60_000);
    expect(data.test.count).toBe(10_000);
    expect([data.train.height, data.train.width, data.train.channels]).toEqual([28, 28, 1]);
    expect(data.train.images.length).toBe(60_000 * 784);
    expect(Array.from(data.train.labels.subarray(0, 8))).toEqual([5, 0, 4, 1, 9, 2, 1, 3]);
    expect(Array.from(data.test.labels.subarray(0, 8))).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
    expect(data.validation).toBeUndefined();
  });

  it('normalizes to mean ≈ 0 and std ≈ 1 with MNIST’s statistics', () => {
    let sum = 0;
    let squares = 0;
    for (const v of data.train.images) {
      sum += v;
      squares += v * v;
    }
    const n = data.train.images.length;
    const mean = sum / n;
    expect(mean).toBeCloseTo(0, 2);
    expect(Math.sqrt(squares / n - mean * mean)).toBeCloseTo(1, 2);
    expect(data.train.background).toBeCloseTo(-0.1307 / 0.3081, 6);
  });

  it('carves a seeded validation split from the limited training set', () => {
    const a = loadMnist({ trainLimit: 1000, testLimit: 10, validationSplit: 0.1, seed: 7 });
    const b = loadMnist({ trainLimit: 1000, testLimit: 10, validationSplit: 0.1, seed: 7 });
    const c = loadMnist({ trainLimit: 1000, testLimit: 10, validationSplit: 0.1, seed: 8 });
    expect(a.train.count).toBe(900);
    expect(a.validation?.count).toBe(100);
    expect(a.test.count).toBe(10);
    expect(a.validation?.labels).toEqual(b.validation?.labels);
    expect(a.validation?.images).toEqual(b.validation?.images);
    expect(a.validation?.images).not.toEqual(c.validation?.images);
  });
});

describe('loadMnist from a directory', () => {
  it('reads plain and gzipped files and scales pixels to [0,1] before normalizing', () => {
    for (const gzip of [false, true]) {
      const data = loadMnist({ path: tinyDataset(`ok-${gzip}`, { gzip }), normalize: { mean: 0, std: 1 } });
      expect(data.train.count).toBe(10);
      expect(data.train.images[3 * 784]).toBeCloseTo(60 / 255, 6);
      expect(data.test.images[0]).toBe(1);
      expect(data.files.trainImages.endsWith(gzip ? '.gz' : 'ubyte')).toBe(true);
    }
  });

  it('refuses a missing directory, naming it', () => {
    const missing = join(root, 'nowhere');
    expect(() => loadMnist({ path: missing })).toThrow(new DatasetError(`MNIST directory not found: ${missing}`, missing));
  });

  it('refuses a missing file, naming it', () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    expect(() => loadMnist({ path: dir })).toThrow(`MNIST file missing: ${join(dir, MNIST_FILES.trainImages)} (nor ${MNIST_FILES.trainImages}.gz) in ${dir}`);
  });

  it('refuses labels that disagree in number with the images', () => {
    const dir = tinyDataset('miscount', { trainLabels: [1, 2, 3] });
    const images = join(dir, MNIST_FILES.trainImages);
    const labels = join(dir, MNIST_FILES.trainLabels);
    expect(() => loadMnist({ path: dir })).toThrow(
      `label count disagrees with image count: ${labels} has 3 labels but ${images} has 10 images`,
    );
  });

  it('refuses a label outside 0..9', () => {
    const dir = tinyDataset('bad-label', { trainLabels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 12] });
    expect(() => loadMnist({ path: dir })).toThrow(`${join(dir, MNIST_FILES.trainLabels)}: label 9 is 12, outside 0..9`);
  });
});
