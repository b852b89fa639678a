/**
 * Turns the spec's `model.blocks` (named blocks of bare kinds, one-key option objects and
 * `repeat` groups) into one flat list of typed layer descriptors with every default filled in.
 * Each descriptor keeps the path it came from in the spec so a later error can point at the YAML.
 * What each kind accepts is its module's business (./layers/<kind>.ts, registered in ./layers/index.ts).
 */
import type { LayerKind } from '@xp/core';
import { LayerSpecError, type LayerOrigin, type SpecPath } from './layers/definition.ts';
import { LAYER_KINDS, layerKindDefinition, type LayerDescriptor } from './layers/index.ts';
import { parseRepeat } from './layers/repeat.ts';

// The layer kinds are the registry's; the schema's `$defs/layerKind` (and so this type) is generated from it.
export type { LayerKind };
export { LAYER_KINDS, LayerSpecError };
export type { LayerDescriptor, LayerOf } from './layers/index.ts';
export type { SpecPath } from './layers/definition.ts';
export type { ConvPadding } from './layers/conv2d.ts';

/** A layer as written in the spec: a bare kind or a one-key object {kind: options}. */
export type LayerSpec = string | { readonly [kind: string]: unknown };
export type BlocksSpec = { readonly [block: string]: readonly LayerSpec[] };

export interface CnnModelSpec {
  /** [channels, height, width] (the schema's default, [1, 28, 28], is filled in by loading). */
  input: readonly number[];
  blocks: BlocksSpec;
  /** The schema's default, 10, is filled in by loading. */
  classes: number;
}

/**
 * `origin.path` locates the list entry; `path` (deeper, through the kind key) locates its options.
 * `raw` is undefined for a bare entry.
 */
function describe(kind: string, raw: unknown, origin: LayerOrigin, path: SpecPath, bare: boolean): LayerDescriptor {
  const definition = layerKindDefinition(kind);
  if (!definition) throw new LayerSpecError(path, `unknown layer kind '${kind}' (known: ${LAYER_KINDS.join(', ')})`);
  return { ...origin, kind, ...definition.parse(raw, path, bare) } as LayerDescriptor;
}

function flattenList(list: readonly LayerSpec[], block: string, path: SpecPath, out: LayerDescriptor[]): void {
  if (!Array.isArray(list)) throw new LayerSpecError(path, 'a block must be a list of layers');
  list.forEach((entry, index) => {
    const entryPath = [...path, index];
    if (typeof entry === 'string') {
      out.push(describe(entry, undefined, { block, path: entryPath }, entryPath, true));
      return;
    }
    if (entry === null || typeof entry !== 'object') {
      throw new LayerSpecError(entryPath, `a layer must be a kind name or a one-key object, got ${JSON.stringify(entry)}`);
    }
    const keys = Object.keys(entry);
    if (keys.length !== 1) {
      throw new LayerSpecError(entryPath, `a layer object must have exactly one key (its kind), got ${keys.length}: ${keys.join(', ')}`);
    }
    const kind = keys[0];
    const value = entry[kind];
    if (kind === 'repeat') {
      const repeat = parseRepeat(value, [...entryPath, kind]);
      for (let t = 0; t < repeat.times; t++) {
        flattenList(repeat.layers as readonly LayerSpec[], block, [...entryPath, kind, 'layers'], out);
      }
      return;
    }
    out.push(describe(kind, value, { block, path: entryPath }, [...entryPath, kind], false));
  });
}

/** The layers of all blocks in order, repeats expanded; throws LayerSpecError on a malformed entry. */
export function flattenBlocks(blocks: BlocksSpec): LayerDescriptor[] {
  const out: LayerDescriptor[] = [];
  for (const [block, list] of Object.entries(blocks)) {
    flattenList(list, block, ['model', 'blocks', block], out);
  }
  return out;
}
