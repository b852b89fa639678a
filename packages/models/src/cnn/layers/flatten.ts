/** flatten: a feature map as one flat vector. */
import { defineLayerKind } from './definition.ts';

export const flatten = defineLayerKind({
  name: 'flatten',
  bare: true,
  parse: () => ({}),
  effect: (_layer, input) => ({ output: [input.reduce((a, b) => a * b, 1)], params: 0, buffers: 0, multAdds: 0 }),
  build: (_layer, { tf, name }) => [tf.layers.flatten({ name })],
});
