/** The experiment kinds xp knows, by the spec's `kind`. */
import type { ExperimentSpec } from '@xp/core';
import { cnnClassifierKind } from './cnn-classifier/index.ts';
import { commandKind } from './command/index.ts';
import { toyMlpKind } from './toy-mlp/index.ts';
import type { ExperimentKind } from './types.ts';

const kinds: Record<ExperimentSpec['kind'], ExperimentKind> = {
  'toy-mlp': toyMlpKind,
  'cnn-classifier': cnnClassifierKind,
  command: commandKind,
};

export function kindOf(spec: ExperimentSpec): ExperimentKind {
  return kinds[spec.kind];
}

/** The kind of that name, or undefined for a name xp does not know (e.g. a run from another tool). */
export function kindNamed(name: string): ExperimentKind | undefined {
  return Object.hasOwn(kinds, name) ? kinds[name as ExperimentSpec['kind']] : undefined;
}

/** Every kind xp knows (a worker's job process preloads them all). */
export function allKinds(): ExperimentKind[] {
  return Object.values(kinds);
}
