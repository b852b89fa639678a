/** maxpool: max pooling over square windows, no padding. */
import { defineLayerKind } from './definition.ts';
import { parsePool, poolEffect, poolLabel, poolSchema, type PoolOptions } from './pool.ts';

export const maxpool = defineLayerKind<'maxpool', PoolOptions>({
  name: 'maxpool',
  bare: false,
  ...poolSchema,
  parse: (raw, path) => parsePool(raw, path, 'maxpool'),
  label: (layer) => poolLabel('maxpool', layer),
  effect: (layer, input) => poolEffect('maxpool', layer, input),
  build: (layer, { tf, name }) => [tf.layers.maxPooling2d({ name, poolSize: layer.size, strides: layer.stride, padding: 'valid' })],
});
