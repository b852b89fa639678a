/**
 * Dataset kind `idx`: any IDX image/label pair per split (`data.train: {images, labels}`, `data.test`
 * likewise; gzipped or not, told by content): Fashion-MNIST, KMNIST, EMNIST. Image size comes from
 * the files (one channel: IDX image files are count × rows × cols bytes), the classes from the labels.
 * The IDX reader is fast enough that no cache is needed: the files are the cache.
 */
import { isAbsolute, resolve } from 'node:path';
import { IdxFileError, readIdxImages, readIdxLabels } from '../idx.ts';
import { contentKey } from './cache.ts';
import { DatasetError } from '../mnist.ts';
import { classesOf, finishDataset, fitPixelSet, type PixelSet } from './pixels.ts';
import type { DatasetKind, DatasetRequest, IdxPair, LoadedDataset } from './types.ts';

function pairOf(value: unknown, role: 'train' | 'test', base: string): IdxPair {
  if (value === null || typeof value !== 'object') {
    throw new DatasetError(`data.${role} must be {images, labels} IDX files for dataset idx`, '', ['data', role]);
  }
  const pair = value as IdxPair;
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return { images: at(pair.images), labels: at(pair.labels) };
}

function readPair(pair: IdxPair, role: 'train' | 'test', limit: number | undefined): PixelSet {
  try {
    const images = readIdxImages(pair.images, { limit });
    const labels = readIdxLabels(pair.labels, { limit });
    const imageCount = images.fileCount ?? images.count;
    const labelCount = labels.fileCount ?? labels.count;
    if (imageCount !== labelCount) {
      throw new DatasetError(`the ${role} pair disagrees: ${pair.labels} has ${labelCount} labels but ${pair.images} has ${imageCount} images`, pair.labels, ['data', role]);
    }
    return { count: images.count, height: images.rows, width: images.cols, channels: 1, pixels: images.pixels, labels: labels.labels };
  } catch (error) {
    if (error instanceof IdxFileError) throw new DatasetError(error.message, error.file, ['data', role]);
    throw error;
  }
}

async function load(request: DatasetRequest): Promise<LoadedDataset> {
  const { spec, target } = request;
  const train = pairOf(spec.train, 'train', request.baseDirectory);
  const test = pairOf(spec.test, 'test', request.baseDirectory);
  const trainSet = readPair(train, 'train', spec.trainLimit);
  const testSet = readPair(test, 'test', spec.testLimit);
  const classes = classesOf(trainSet, testSet, target, train.labels);
  const finished = finishDataset(fitPixelSet(trainSet, spec, target, train.images), fitPixelSet(testSet, spec, target, test.images), {
    spec,
    seed: request.seed,
    testSplitStream: 0,
  });
  return {
    train: finished.train,
    validation: finished.validation,
    test: finished.test,
    classes,
    normalization: finished.normalization,
    files: { trainImages: train.images, trainLabels: train.labels, testImages: test.images, testLabels: test.labels },
    skipped: { count: 0, examples: [] },
    fromCache: false,
    // No decoded entry to key, but the run cache needs the files' key (hashed once per stat fingerprint).
    contentKey: contentKey('idx', {}, [
      { name: 'train.images', path: train.images },
      { name: 'train.labels', path: train.labels },
      { name: 'test.images', path: test.images },
      { name: 'test.labels', path: test.labels },
    ], request.cacheDirectory ?? undefined),
  };
}

export const idxDataset: DatasetKind = { name: 'idx', load };
