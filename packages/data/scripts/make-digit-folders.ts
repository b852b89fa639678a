/**
 * Writes the example image folder experiments/cnn-image-folder.yaml trains from: MNIST digits as
 * 28×28 grey PNGs in class folders, data/digits/train/<digit>/ and data/digits/test/<digit>/, made from
 * MNIST's own IDX files (no other dataset can be downloaded here).
 * Run: npm run make:digits -w packages/data [-- <train count, default 60000> <test count, default 10000>]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDigitFolder } from '../src/datasets/mnist-fixtures.ts';

const root = join(import.meta.dirname, '../../../data/digits');
const train = Number(process.argv[2] ?? 60_000);
const test = Number(process.argv[3] ?? 10_000);
rmSync(root, { recursive: true, force: true });
writeDigitFolder(join(root, 'train'), { split: 'train', count: train });
writeDigitFolder(join(root, 'test'), { split: 'test', count: test });
console.log(`wrote ${train} training and ${test} test PNGs under ${root}`);
