/**
 * The cnn-classifier kind (Part II): a convolutional network from the spec's blocks, trained on
 * MNIST with TensorFlow.js, judged by test accuracy.
 */
import { cnnSpecOf, type ResolvedSpec } from '@xp/core';
import { formatSummary, summarizeModel } from '@xp/models/cnn/summary';
import { modelWithClasses } from './model-spec.ts';
import type { ExperimentKind } from '../types.ts';
import { checkCnnSpec } from './check.ts';

export const cnnClassifierKind: ExperimentKind = {
  kind: 'cnn-classifier',
  metricDirections: {
    test_accuracy: 'max',
    best_test_accuracy: 'max',
    judged_accuracy: 'max',
    val_accuracy: 'max',
    train_loss: 'min',
    test_loss: 'min',
    val_loss: 'min',
    epoch_time_s: 'min',
  },
  primaryMetric: 'test_accuracy',
  curveMetric: 'test_accuracy',
  check: (spec, locate, where) => checkCnnSpec(cnnSpecOf(spec), locate, where?.specFile),
  // The dataset's content key (@xp/data): the check loaded it already, and loads are kept per process,
  // so this reads nothing again. mnist's files are the package's, the same for every spec: no key, and
  // an mnist job's hash is what it was before datasets had keys.
  inputsKey: async (resolved, where) => {
    const spec = cnnSpecOf(resolved);
    if (spec.data.dataset === 'mnist') return undefined;
    const { loadTrainingData } = await import('./train/data.ts');
    return (await loadTrainingData(spec, where.specFile)).contentKey;
  },
  summary(spec: ResolvedSpec): string | null {
    return formatSummary(summarizeModel(modelWithClasses(cnnSpecOf(spec))));
  },
  // Training (TensorFlow.js, the wasm kernels, the data) loads only when a run starts, so that
  // `xp validate`, `xp plan` and `xp summary` start fast.
  run: async (context) => (await import('./train/train-cnn.ts')).trainCnn(context),
  preload: async () => void (await import('./train/train-cnn.ts')),
};
