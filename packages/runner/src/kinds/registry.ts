/** The experiment kinds xp knows, by the spec's `kind`. */
import type { ExperimentSpec } from '@xp/core';
import { cnnClassifierKind } from './cnn-classifier/index.ts';
import { toyMlpKind } from './toy-mlp/index.ts';
import type { ExperimentKind } from './types.ts';

const kinds: Record<ExperimentSpec['kind'], ExperimentKind> = {
  'toy-mlp': toyMlpKind,
  'cnn-classifier': cnnClassifierKind,
};

export function kindOf(spec: ExperimentSpec): ExperimentKind {
  return kinds[spec.kind];
}
