/** batchnorm: batch normalisation over channels, with PyTorch's momentum convention. */
import { defineLayerKind, options, schemaDefault, type JsonSchema } from './definition.ts';

export interface BatchnormOptions {
  momentum: number;
  epsilon: number;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Batch normalisation over channels (PyTorch BatchNorm2d/1d).',
  properties: {
    momentum: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.1,
      description: "Running-statistics momentum, as PyTorch's (new = (1-m)*old + m*batch).",
    },
    epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-5, description: 'Added to the variance.' },
  },
};

export const batchnorm = defineLayerKind<'batchnorm', BatchnormOptions>({
  name: 'batchnorm',
  bare: true,
  options: schema,
  parse(raw, path) {
    const o = options(raw, path, 'batchnorm');
    return {
      momentum: typeof o.momentum === 'number' ? o.momentum : schemaDefault<number>(schema, 'momentum'),
      epsilon: typeof o.epsilon === 'number' ? o.epsilon : schemaDefault<number>(schema, 'epsilon'),
    };
  },
  label: (_layer, input) => `batchnorm ${input[0]}`,
  effect(_layer, input) {
    const c = input[0];
    return { output: input, params: 2 * c, buffers: 2 * c, multAdds: 0 };
  },
  build: (layer, { tf, name }) => [
    tf.layers.batchNormalization({
      name,
      axis: -1,
      // tfjs keeps `momentum` of the old running value; PyTorch's momentum weights the new batch.
      momentum: 1 - layer.momentum,
      epsilon: layer.epsilon,
    }),
  ],
});
