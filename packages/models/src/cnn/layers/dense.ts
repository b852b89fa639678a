/** dense: a fully connected layer on a flat input, with PyTorch's default initialisation. */
import { defineLayerKind, formatShape, isMap, options, positiveInteger, schemaDefault, torchDefaultInit, type JsonSchema } from './definition.ts';

export interface DenseOptions {
  units: number;
  bias: boolean;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['units'],
  description: 'Fully connected layer; its input must be flat (after flatten or global-avg-pool).',
  properties: {
    units: { $ref: '#/$defs/positiveIntOrVar', description: 'Output units.' },
    bias: { type: 'boolean', default: true, description: 'Whether a bias is added.' },
  },
};

export const dense = defineLayerKind<'dense', DenseOptions>({
  name: 'dense',
  bare: false,
  options: schema,
  parse(raw, path) {
    const o = options(raw, path, 'dense');
    return {
      units: positiveInteger(o.units, [...path, 'units'], 'units'),
      bias: o.bias === undefined ? schemaDefault<boolean>(schema, 'bias') : o.bias === true,
    };
  },
  label: (layer, input) => `dense ${input[0]}→${layer.units}${layer.bias ? '' : ' no bias'}`,
  effect(layer, input) {
    if (isMap(input)) {
      return `dense needs a flat input, but gets a ${formatShape(input)} feature map: put flatten or global-avg-pool before it`;
    }
    const weights = input[0] * layer.units;
    return {
      output: [layer.units],
      params: weights + (layer.bias ? layer.units : 0),
      buffers: 0,
      multAdds: weights,
      mixesEverything: true,
    };
  },
  build(layer, context) {
    const fanIn = context.summary.inputShape[0];
    return [
      context.tf.layers.dense({
        name: context.name,
        units: layer.units,
        useBias: layer.bias,
        kernelInitializer: torchDefaultInit(context, fanIn, 'kernel'),
        biasInitializer: torchDefaultInit(context, fanIn, 'bias'),
      }),
    ];
  },
});
