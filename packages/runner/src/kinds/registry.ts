/**
 * The experiment kinds xp knows, by the spec's `kind`. The built-in kinds register here the same way
 * a plugin kind does (./plugins.ts, under the spec's `kind` text, e.g. './kinds/linear.ts'), so every
 * command and launcher finds either through kindOf.
 */
import { registerPluginSchema, type ExperimentSpec } from '@xp/core';
import { cnnClassifierKind } from './cnn-classifier/index.ts';
import { commandKind } from './command/index.ts';
import { toyMlpKind } from './toy-mlp/index.ts';
import type { ExperimentKind } from './types.ts';

const kinds = new Map<string, ExperimentKind>();

/**
 * Makes `kind` the handler of specs whose `kind` is `name`. A kind with a `schema` (a plugin's fields'
 * JSON Schema fragment) has it registered with the spec validator too, so loading checks those fields.
 */
export function registerKind(name: string, kind: ExperimentKind): void {
  if (kind.schema) registerPluginSchema(name, kind.schema);
  kinds.set(name, kind);
}

registerKind('toy-mlp', toyMlpKind);
registerKind('cnn-classifier', cnnClassifierKind);
registerKind('command', commandKind);

/** The spec's kind. A plugin kind is registered while loading (./plugins.ts) or before a job runs (ensureKind). */
export function kindOf(spec: Pick<ExperimentSpec, 'kind'>): ExperimentKind {
  const kind = kinds.get(spec.kind);
  if (!kind) throw new Error(`the kind '${spec.kind}' is not registered in this process (a plugin kind is loaded from the spec before kindOf is called)`);
  return kind;
}

/** The kind of that name, or undefined for a name xp does not know (e.g. a run from another tool). */
export function kindNamed(name: string): ExperimentKind | undefined {
  return kinds.get(name);
}

/** Every kind registered (a worker's job process preloads them all). */
export function allKinds(): ExperimentKind[] {
  return [...kinds.values()];
}
