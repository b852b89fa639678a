/** log-softmax: log-probabilities over the last axis, for an NLL loss. */
import { defineLayerKind, unchanged } from './definition.ts';

export const logSoftmax = defineLayerKind({
  name: 'log-softmax',
  bare: true,
  parse: () => ({}),
  effect: (_layer, input) => unchanged(input),
  build: (_layer, { custom, name }) => [new custom.LogSoftmax({ name })],
});
