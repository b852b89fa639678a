/**
 * Turns the spec's `model.blocks` (named blocks of bare kinds, one-key option objects and
 * `repeat` groups) into one flat list of typed layer descriptors with every default filled in.
 * Each descriptor keeps the path it came from in the spec so a later error can point at the YAML.
 */
import { experimentSchema, type LayerKind } from '@xp/core';

// The layer kinds are the schema's (`$defs/layerKind`): the type is generated from it, the list read from it.
export type { LayerKind };

export const LAYER_KINDS = (experimentSchema().$defs as { layerKind: { enum: LayerKind[] } }).layerKind.enum as readonly LayerKind[];

/** Where a layer is written in the spec, e.g. ['model', 'blocks', 'conv1', 2]. */
export type SpecPath = readonly (string | number)[];

/** A layer as written in the spec: a bare kind or a one-key object {kind: options}. */
export type LayerSpec = string | { readonly [kind: string]: unknown };
export type BlocksSpec = { readonly [block: string]: readonly LayerSpec[] };

export interface CnnModelSpec {
  /** [channels, height, width]; default [1, 28, 28]. */
  input?: readonly number[];
  blocks: BlocksSpec;
  /** Default 10. */
  classes?: number;
}

export type ConvPadding = 'valid' | 'same' | number;

interface Origin {
  /** Block the layer belongs to. */
  block: string;
  path: SpecPath;
}

export type LayerDescriptor = Origin &
  (
    | { kind: 'conv2d'; filters: number; kernel: number; stride: number; padding: ConvPadding; bias: boolean }
    | { kind: 'batchnorm'; momentum: number; epsilon: number }
    | { kind: 'relu' }
    | { kind: 'global-avg-pool' }
    | { kind: 'flatten' }
    | { kind: 'log-softmax' }
    | { kind: 'dropout'; rate: number }
    | { kind: 'spatial-dropout'; rate: number }
    | { kind: 'maxpool'; size: number; stride: number }
    | { kind: 'avgpool'; size: number; stride: number }
    | { kind: 'dense'; units: number; bias: boolean }
  );

export type LayerOf<K extends LayerKind> = Extract<LayerDescriptor, { kind: K }>;

export const DEFAULT_INPUT: readonly [number, number, number] = [1, 28, 28];
export const DEFAULT_CLASSES = 10;

/** A layer entry the schema would also refuse; thrown because nothing sensible can follow it. */
export class LayerSpecError extends Error {
  constructor(readonly path: SpecPath, message: string) {
    super(`${path.join('.')}: ${message}`);
    this.name = 'LayerSpecError';
  }
}

type Options = { readonly [key: string]: unknown };

function positiveInteger(value: unknown, path: SpecPath, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new LayerSpecError(path, `${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function rate(value: unknown, path: SpecPath): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new LayerSpecError(path, `rate must be a number in [0, 1), got ${JSON.stringify(value)}`);
  }
  return value;
}

function options(value: unknown, path: SpecPath, kind: string): Options {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new LayerSpecError(path, `${kind} options must be an object, got ${JSON.stringify(value)}`);
  }
  return value as Options;
}

function padding(value: unknown, path: SpecPath): ConvPadding {
  if (value === undefined) return 'valid';
  if (value === 'valid' || value === 'same') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw new LayerSpecError(path, `padding must be 'valid', 'same' or a whole number of pixels, got ${JSON.stringify(value)}`);
}

/** `origin.path` locates the list entry; `path` (deeper, through the kind key) locates its options. */
function describe(kind: string, raw: unknown, origin: Origin, path: SpecPath): LayerDescriptor {
  switch (kind) {
    case 'relu':
    case 'global-avg-pool':
    case 'flatten':
    case 'log-softmax':
      return { ...origin, kind };
    case 'conv2d': {
      const o = options(raw, path, kind);
      return {
        ...origin,
        kind,
        filters: positiveInteger(o.filters, [...path, 'filters'], 'filters'),
        kernel: positiveInteger(o.kernel, [...path, 'kernel'], 'kernel'),
        stride: o.stride === undefined ? 1 : positiveInteger(o.stride, [...path, 'stride'], 'stride'),
        padding: padding(o.padding, [...path, 'padding']),
        bias: o.bias === undefined ? true : o.bias === true,
      };
    }
    case 'batchnorm': {
      const o = options(raw, path, kind);
      return {
        ...origin,
        kind,
        momentum: typeof o.momentum === 'number' ? o.momentum : 0.1,
        epsilon: typeof o.epsilon === 'number' ? o.epsilon : 1e-5,
      };
    }
    case 'dropout':
    case 'spatial-dropout':
      return { ...origin, kind, rate: rate(raw, path) };
    case 'maxpool':
    case 'avgpool': {
      const o = options(raw, path, kind);
      const size = positiveInteger(o.size, [...path, 'size'], 'size');
      return { ...origin, kind, size, stride: o.stride === undefined ? size : positiveInteger(o.stride, [...path, 'stride'], 'stride') };
    }
    case 'dense': {
      const o = options(raw, path, kind);
      return {
        ...origin,
        kind,
        units: positiveInteger(o.units, [...path, 'units'], 'units'),
        bias: o.bias === undefined ? true : o.bias === true,
      };
    }
    default:
      throw new LayerSpecError(path, `unknown layer kind '${kind}' (known: ${LAYER_KINDS.join(', ')})`);
  }
}

function flattenList(list: readonly LayerSpec[], block: string, path: SpecPath, out: LayerDescriptor[]): void {
  if (!Array.isArray(list)) throw new LayerSpecError(path, 'a block must be a list of layers');
  list.forEach((entry, index) => {
    const entryPath = [...path, index];
    if (typeof entry === 'string') {
      // Bare strings are kinds without options; 'dropout' etc. need a rate, so reject them clearly.
      if (entry === 'dropout' || entry === 'spatial-dropout') {
        throw new LayerSpecError(entryPath, `${entry} needs a rate: write {${entry}: 0.1}`);
      }
      out.push(describe(entry, undefined, { block, path: entryPath }, entryPath));
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
      const repeat = options(value, [...entryPath, kind], kind);
      const times = positiveInteger(repeat.times, [...entryPath, kind, 'times'], 'times');
      for (let t = 0; t < times; t++) {
        flattenList(repeat.layers as readonly LayerSpec[], block, [...entryPath, kind, 'layers'], out);
      }
      return;
    }
    out.push(describe(kind, value, { block, path: entryPath }, [...entryPath, kind]));
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
