/** avgpool: average pooling over square windows, no padding. */
import { defineLayerKind } from './definition.ts';
import { parsePool, poolEffect, poolLabel, poolSchema, type PoolOptions } from './pool.ts';

export const avgpool = defineLayerKind<'avgpool', PoolOptions>({
  name: 'avgpool',
  bare: false,
  ...poolSchema,
  parse: (raw, path) => parsePool(raw, path, 'avgpool'),
  label: (layer) => poolLabel('avgpool', layer),
  effect: (layer, input) => poolEffect('avgpool', layer, input),
  // A window that covers the whole map is global average pooling; only a summary (which knows the
  // input shape) can tell.
  alsoCountsAs: (layer, input) =>
    input !== undefined && input.length === 3 && layer.size >= input[1] && layer.size >= input[2] ? ['global-avg-pool'] : [],
  build: (layer, { tf, name }) => [tf.layers.averagePooling2d({ name, poolSize: layer.size, strides: layer.stride, padding: 'valid' })],
});
