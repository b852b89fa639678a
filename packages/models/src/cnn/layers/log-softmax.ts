/** log-softmax: log-probabilities over the last axis, for an NLL loss; exported as softmax. */
import { defineLayerKind, unchanged } from './definition.ts';

export const logSoftmax = defineLayerKind({
  name: 'log-softmax',
  bare: true,
  parse: () => ({}),
  effect: (_layer, input) => unchanged(input),
  build: (_layer, { custom, name }) => [new custom.LogSoftmax({ name })],
  // tfjs has no log-softmax layer; as the network's output, its exponent (softmax) says the same
  // thing as probabilities, which is what a user of the exported model wants anyway.
  stock: (_layer, { tf, name, last }) =>
    last ? [tf.layers.softmax({ name })] : 'log-softmax has a stock TensorFlow.js form (softmax) only as the last layer of the network',
});
