/** The spec's `data` section turned into loaded, normalized image sets. */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ResolvedCnnSpec } from '@xp/core';
import { loadMnist, type MnistData } from '@xp/data';

export function loadTrainingData(spec: ResolvedCnnSpec, specFile: string): MnistData {
  const { data } = spec;
  if (data.dataset !== 'mnist') throw new Error(`unsupported dataset '${data.dataset}'`);
  // Relative paths are the spec author's, so they resolve from the spec file, not the shell.
  const path = data.path === undefined ? undefined : isAbsolute(data.path) ? data.path : resolve(dirname(specFile), data.path);
  return loadMnist({
    path,
    normalize: data.normalize,
    validationSplit: data.validationSplit,
    seed: spec.seed,
    trainLimit: data.trainLimit,
    testLimit: data.testLimit,
  });
}
