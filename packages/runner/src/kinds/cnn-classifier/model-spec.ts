/**
 * The network's description with its number of classes settled: model.classes where the spec states
 * it (mnist's schema default is 10), else what the data has (the dataset's classes, known once it is
 * loaded), else, where only the network is looked at (xp summary, the budget's largest layers), the
 * units the network ends with.
 */
import type { ResolvedCnnSpec } from '@xp/core';
import type { CnnModelSpec } from '@xp/models';
import { summarizeModel } from '@xp/models/cnn/summary';

export function modelWithClasses(spec: Pick<ResolvedCnnSpec, 'model'>, dataClasses?: number): CnnModelSpec {
  const { classes } = spec.model;
  if (classes !== undefined) return { ...spec.model, classes } as CnnModelSpec;
  if (dataClasses !== undefined) return { ...spec.model, classes: dataClasses } as CnnModelSpec;
  // Summarized with a class count no network has, the output shape is what the network ends with.
  const output = summarizeModel({ ...spec.model, classes: -1 } as CnnModelSpec).outputShape;
  return { ...spec.model, classes: output !== null && output.length === 1 ? output[0] : -1 } as CnnModelSpec;
}
