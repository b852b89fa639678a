/** The spec's `data` section turned into loaded, normalized image sets. */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ExperimentSpec } from '@xp/core';
import { loadMnist, MNIST_DEFAULT_NORMALIZATION, type MnistData } from '@xp/data';

export function loadTrainingData(spec: ExperimentSpec, specFile: string): MnistData {
  const data = spec.data ?? {};
  const dataset = data.dataset ?? 'mnist';
  if (dataset !== 'mnist') throw new Error(`unsupported dataset '${dataset}'`);
  // Relative paths are the spec author's, so they resolve from the spec file, not the shell.
  const path = data.path === undefined ? undefined : isAbsolute(data.path) ? data.path : resolve(dirname(specFile), data.path);
  return loadMnist({
    path,
    normalize: {
      mean: data.normalize?.mean ?? MNIST_DEFAULT_NORMALIZATION.mean,
      std: data.normalize?.std ?? MNIST_DEFAULT_NORMALIZATION.std,
    },
    validationSplit: data.validationSplit ?? 0,
    seed: spec.seed ?? 1,
    trainLimit: data.trainLimit,
    testLimit: data.testLimit,
  });
}
