/** The network a training run trains (the spec's layers, conv-block tails fused) and what trains it. */
import type * as tf from '@tensorflow/tfjs';
import type { ResolvedCnnSpec } from '@xp/core';
import { buildModel } from '@xp/models';
import { modelWithClasses } from '../model-spec.ts';
import { fusedBuilders } from './fused-layers.ts';
import { createOptimizer, type TrainOptimizer } from './optimizer.ts';
import { makeTrainStep, trainableVariables, type TrainStep } from './step.ts';

export function buildTrainingModel(spec: ResolvedCnnSpec): tf.LayersModel {
  const model = modelWithClasses(spec);
  return buildModel(model, { seed: spec.seed, builders: fusedBuilders(model) });
}

export interface TrainingSetup {
  model: tf.LayersModel;
  optimizer: TrainOptimizer;
  step: TrainStep;
  /** Frees the model's and the optimizer's tensors. */
  dispose(): void;
}

/** Model, optimizer and training step as the spec describes them: what `xp run` trains and `xp bench` times. */
export function buildTrainingSetup(spec: ResolvedCnnSpec): TrainingSetup {
  const { train } = spec;
  const model = buildTrainingModel(spec);
  try {
    const variables = trainableVariables(model);
    const optimizer = createOptimizer(variables, { name: train.optimizer, momentum: train.momentum, weightDecay: train.weightDecay });
    return {
      model,
      optimizer,
      step: makeTrainStep(model, variables, optimizer),
      dispose: () => {
        optimizer.dispose();
        model.dispose();
      },
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
