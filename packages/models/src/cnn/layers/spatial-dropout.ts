/** spatial-dropout: channel dropout (PyTorch Dropout2d), whole feature maps zeroed in training. */
import { defineLayerKind, isMap, LayerSpecError, needsMap, rate, unchanged, type JsonSchema } from './definition.ts';
import type { DropoutOptions } from './dropout.ts';

const schema: JsonSchema = {
  type: 'number',
  minimum: 0,
  exclusiveMaximum: 1,
  description: 'Channel dropout rate (PyTorch Dropout2d): whole feature maps are zeroed in training.',
};

export const spatialDropout = defineLayerKind<'spatial-dropout', DropoutOptions>({
  name: 'spatial-dropout',
  bare: false,
  options: schema,
  parse(raw, path, bare) {
    if (bare) throw new LayerSpecError(path, 'spatial-dropout needs a rate: write {spatial-dropout: 0.1}');
    return { rate: rate(raw, path) };
  },
  label: (layer) => `spatial-dropout ${layer.rate}`,
  effect: (_layer, input) => (isMap(input) ? unchanged(input) : needsMap('spatial-dropout', input)),
  // For constraints.requireLayers, channel dropout is a dropout.
  alsoCountsAs: () => ['dropout'],
  build: (layer, { custom, name, seed }) => [new custom.SpatialDropout2D({ name, rate: layer.rate, seed: seed('mask') })],
  // Channel dropout does nothing at inference; the exported model leaves it out.
  stock: () => [],
});
