/** The network a training run trains: the spec's layers, with the conv-block tails fused. */
import type * as tf from '@tensorflow/tfjs';
import type { ExperimentSpec } from '@xp/core';
import { buildModel, type CnnModelSpec } from '@xp/models';
import { fusedBuilders } from './fused-layers.ts';

export function buildTrainingModel(spec: ExperimentSpec): tf.LayersModel {
  const model = spec.model as CnnModelSpec;
  return buildModel(model, { seed: spec.seed ?? 1, builders: fusedBuilders(model) });
}
