/**
 * Decode and cache times of an image folder against the IDX load: MNIST's 60,000 training images
 * written as 28×28 grey PNGs in class folders (and 10,000 test images), loaded as dataset
 * `image-folder` twice, first with an empty dataset cache (decode everything, write the cache entry),
 * then cached (hash the files' content, read the entry); and MNIST's IDX files loaded as dataset
 * `mnist`. Each load is the whole of loadDataset: listing, decoding or reading, normalization.
 * Run: npx tsx bench/decode-image-folder.ts [train images, default 60000]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetLoadedDatasets, loadDataset, writeDigitFolder, type DatasetRequest } from '@xp/data';

const count = Number(process.argv[2] ?? 60_000);
const root = mkdtempSync(join(tmpdir(), 'xp-bench-folder-'));
const cache = join(root, 'cache');
let start = performance.now();
writeDigitFolder(join(root, 'train'), { split: 'train', count });
writeDigitFolder(join(root, 'test'), { split: 'test', count: 10_000 });
console.log(`wrote ${count} + 10000 PNGs in ${((performance.now() - start) / 1000).toFixed(1)} s`);

const base = { normalize: { mean: 0.1307, std: 0.3081 }, validationSplit: 0 };
const folder: DatasetRequest = { spec: { dataset: 'image-folder', train: join(root, 'train'), test: join(root, 'test'), ...base }, target: { input: [1, 28, 28] }, baseDirectory: root, seed: 1, cacheDirectory: cache };
const mnist: DatasetRequest = { spec: { dataset: 'mnist', trainLimit: count, ...base }, target: { input: [1, 28, 28] }, baseDirectory: root, seed: 1, cacheDirectory: null };

async function time(label: string, request: DatasetRequest): Promise<number> {
  forgetLoadedDatasets();
  start = performance.now();
  const data = await loadDataset(request);
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label}: ${data.train.count} + ${data.test.count} images in ${seconds.toFixed(2)} s${data.fromCache ? ' (from the cache)' : ''}`);
  return seconds;
}

const idx = await time('mnist (IDX files)', mnist);
const first = await time('image-folder, first run (decode + write cache)', folder);
const cached = await time('image-folder, cached run', folder);
const idxAgain = await time('mnist (IDX files), again', mnist);
console.log(`cached / IDX: ${(cached / Math.min(idx, idxAgain)).toFixed(1)}×; first / cached: ${(first / cached).toFixed(1)}×`);
if (existsSync(root)) rmSync(root, { recursive: true, force: true });
