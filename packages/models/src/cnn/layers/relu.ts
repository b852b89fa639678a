/** relu: max(0, x). */
import { defineLayerKind, unchanged } from './definition.ts';

export const relu = defineLayerKind({
  name: 'relu',
  bare: true,
  parse: () => ({}),
  effect: (_layer, input) => unchanged(input),
  build: (_layer, { tf, name }) => [tf.layers.reLU({ name })],
});
