/** dropout: elementwise dropout (PyTorch Dropout), masks seeded per run and new at every step. */
import { defineLayerKind, LayerSpecError, rate, unchanged, type JsonSchema } from './definition.ts';

export interface DropoutOptions {
  rate: number;
}

const schema: JsonSchema = {
  type: 'number',
  minimum: 0,
  exclusiveMaximum: 1,
  description: 'Dropout rate: each activation is zeroed with this probability in training.',
};

export const dropout = defineLayerKind<'dropout', DropoutOptions>({
  name: 'dropout',
  bare: false,
  options: schema,
  parse(raw, path, bare) {
    if (bare) throw new LayerSpecError(path, 'dropout needs a rate: write {dropout: 0.1}');
    return { rate: rate(raw, path) };
  },
  label: (layer) => `dropout ${layer.rate}`,
  effect: (_layer, input) => unchanged(input),
  build: (layer, { custom, name, seed }) => [new custom.SeededDropout({ name, rate: layer.rate, seed: seed('mask') })],
  // Dropout does nothing at inference; the exported model leaves it out.
  stock: () => [],
});
