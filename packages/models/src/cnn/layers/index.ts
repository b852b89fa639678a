/**
 * The layer-kind registry: every kind the CNN spec knows, one line each (Ludwig's way). Adding a kind
 * is one module beside this file and one line here, then `npm run gen:schema -w packages/models` to
 * write its schema fragment into schemas/experiment.schema.json (and `npm run gen:types -w
 * packages/core`). The order here is the order of the schema's `layerKind` list.
 */
import type { LayerKind } from '@xp/core';
import { avgpool } from './avgpool.ts';
import { batchnorm } from './batchnorm.ts';
import { conv2d } from './conv2d.ts';
import type { LayerKindDefinition, LayerOfKind } from './definition.ts';
import { dense } from './dense.ts';
import { dropout } from './dropout.ts';
import { flatten } from './flatten.ts';
import { globalAvgPool } from './global-avg-pool.ts';
import { logSoftmax } from './log-softmax.ts';
import { maxpool } from './maxpool.ts';
import { relu } from './relu.ts';
import { spatialDropout } from './spatial-dropout.ts';

export const LAYER_KIND_DEFINITIONS = [
  conv2d,
  batchnorm,
  relu,
  dropout,
  spatialDropout,
  maxpool,
  avgpool,
  globalAvgPool,
  flatten,
  dense,
  logSoftmax,
] as const;

type Registered = (typeof LAYER_KIND_DEFINITIONS)[number];

/** The flattened layer a definition reads, e.g. {block, path, kind: 'conv2d', filters, kernel, ...}. */
type DescriptorOf<D> = D extends { readonly name: infer K extends string; parse(...args: never[]): infer O extends object }
  ? LayerOfKind<K, O>
  : never;

/** A flattened layer of any registered kind, with every default filled in. */
export type LayerDescriptor = DescriptorOf<Registered>;
export type LayerOf<K extends LayerKind> = Extract<LayerDescriptor, { kind: K }>;

// The schema's layerKind (and so @xp/core's LayerKind) is generated from this registry; a stale
// schema fails here as well as in schema.test.ts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const registryMatchesSchema: Same<Registered['name'], LayerKind> = true;
void registryMatchesSchema;

/** The kinds' names, in registry order. */
export const LAYER_KINDS: readonly LayerKind[] = LAYER_KIND_DEFINITIONS.map((definition) => definition.name);

const byName = new Map<string, LayerKindDefinition>();
for (const definition of LAYER_KIND_DEFINITIONS as readonly LayerKindDefinition[]) {
  if (byName.has(definition.name)) throw new Error(`layer kind '${definition.name}' is registered twice`);
  byName.set(definition.name, definition);
}

/** The definition registered under `kind`; undefined for an unknown kind. */
export function layerKindDefinition(kind: string): LayerKindDefinition | undefined {
  return byName.get(kind);
}
