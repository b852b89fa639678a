/** What maxpool and avgpool share: the `pool` options schema, reading them, shape and row name. */
import {
  isMap,
  needsMap,
  options,
  positiveInteger,
  type JsonSchema,
  type LayerEffect,
  type LayerShape,
  type SpecPath,
} from './definition.ts';

export interface PoolOptions {
  size: number;
  stride: number;
}

/** `$defs/pool` in the schema; both pooling kinds refer to it. */
export const POOL_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['size'],
  description: 'Pooling window.',
  properties: {
    size: { type: 'integer', minimum: 1, description: 'Square window size.' },
    stride: { type: 'integer', minimum: 1, description: 'Stride; default: the window size.' },
  },
};

export const poolSchema = { options: { $ref: '#/$defs/pool' }, defs: { pool: POOL_SCHEMA } } as const;

export function parsePool(raw: unknown, path: SpecPath, kind: string): PoolOptions {
  const o = options(raw, path, kind);
  const size = positiveInteger(o.size, [...path, 'size'], 'size');
  return { size, stride: o.stride === undefined ? size : positiveInteger(o.stride, [...path, 'stride'], 'stride') };
}

export const poolLabel = (kind: string, layer: PoolOptions): string =>
  `${kind} ${layer.size}×${layer.size}${layer.stride === layer.size ? '' : ` stride ${layer.stride}`}`;

export function poolEffect(kind: string, layer: PoolOptions, input: LayerShape): LayerEffect | string {
  if (!isMap(input)) return needsMap(kind, input);
  const [c, h, w] = input;
  if (layer.size > h || layer.size > w) return `pool window ${layer.size}×${layer.size} is larger than its ${h}×${w} input`;
  const oh = Math.floor((h - layer.size) / layer.stride) + 1;
  const ow = Math.floor((w - layer.size) / layer.stride) + 1;
  return { output: [c, oh, ow], params: 0, buffers: 0, multAdds: 0, window: { size: layer.size, stride: layer.stride } };
}
