/**
 * Dataset kind `csv`: one image per row (Kaggle's digit-recognizer layout: `label,pixel0,…`), a file
 * for training (`data.train`) and one for testing (`data.test`) or `data.testSplit`. Read streamed
 * (../csv-images.ts); the image is square and grey unless model.input says otherwise (width × height
 * × channels pixel columns). Decoded rows are cached by the files' content (./cache.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CsvImagesError, readCsvImages } from '../csv-images.ts';
import { DatasetError } from '../mnist.ts';
import { contentKey, readCachedDataset, writeCachedDataset } from './cache.ts';
import { classesOf, finishDataset, fitPixelSet, type PixelSet } from './pixels.ts';
import type { DatasetKind, DatasetRequest, LoadedDataset } from './types.ts';

async function readSplit(file: string, role: 'train' | 'test', request: DatasetRequest): Promise<PixelSet> {
  const { spec, target } = request;
  const [channels, height, width] = target.input;
  try {
    // The file's pixel count decides; model.input's shape is tried first, then a square grey image.
    const labelColumn = spec.labelColumn ?? 'label';
    const read = await readCsvImages(file, { labelColumn, classes: target.classes }).catch(async (error: unknown) => {
      if (error instanceof CsvImagesError && error.line === 1 && /pixel columns/.test(error.problem) && (channels === 1 || channels === 3)) {
        return readCsvImages(file, { labelColumn, classes: target.classes, width, height, channels: channels as 1 | 3 });
      }
      throw error;
    });
    if (read.count === 0) throw new DatasetError(`${file} has a header but no rows (data.${role})`, file, ['data', role]);
    return { count: read.count, height: read.height, width: read.width, channels: read.channels, pixels: read.pixels, labels: read.labels! };
  } catch (error) {
    if (error instanceof CsvImagesError) throw new DatasetError(error.message, file, ['data', role]);
    throw error;
  }
}

async function load(request: DatasetRequest): Promise<LoadedDataset> {
  const { spec, target } = request;
  const at = (p: unknown, role: 'train' | 'test'): string => {
    if (typeof p !== 'string') throw new DatasetError(`data.${role} must be a CSV file for dataset csv`, '', ['data', role]);
    return isAbsolute(p) ? p : resolve(request.baseDirectory, p);
  };
  const trainFile = at(spec.train, 'train');
  const testFile = spec.test === undefined ? null : at(spec.test, 'test');
  const files = [{ name: 'train', path: trainFile }, ...(testFile === null ? [] : [{ name: 'test', path: testFile }])];
  for (const file of files) {
    if (!existsSync(file.path) || !statSync(file.path).isFile()) {
      throw new DatasetError(`CSV file not found: ${file.path} (data.${file.name})`, file.path, ['data', file.name]);
    }
  }
  const settings = { input: target.input, classes: target.classes ?? null, labelColumn: spec.labelColumn ?? 'label' };
  const key = request.cacheDirectory === null ? null : contentKey('csv', settings, files, request.cacheDirectory);
  let cached = key === null ? null : readCachedDataset(request.cacheDirectory!, key);
  const fromCache = cached !== null;
  if (cached === null) {
    const splits: Record<string, PixelSet> = { train: await readSplit(trainFile, 'train', request) };
    if (testFile !== null) splits.test = await readSplit(testFile, 'test', request);
    cached = { splits, skipped: { count: 0, examples: [] } };
    if (key !== null) writeCachedDataset(request.cacheDirectory!, key, cached);
  }
  const train = fitPixelSet(cached.splits.train, spec, target, trainFile);
  const test = cached.splits.test ? fitPixelSet(cached.splits.test, spec, target, testFile!) : null;
  const classes = classesOf(train, test ?? train, target, trainFile);
  const finished = finishDataset(train, test, { spec, seed: request.seed, testSplitStream: 0x7e57 });
  return {
    train: finished.train,
    validation: finished.validation,
    test: finished.test,
    classes,
    normalization: finished.normalization,
    files: testFile === null ? { train: trainFile } : { train: trainFile, test: testFile },
    skipped: { count: 0, examples: [] },
    fromCache,
    contentKey: key ?? contentKey('csv', settings, files),
  };
}

export const csvDataset: DatasetKind = { name: 'csv', load };
