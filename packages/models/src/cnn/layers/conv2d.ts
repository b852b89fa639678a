/** conv2d: a 2-D convolution, with PyTorch's padding=N and default initialisation. */
import type * as tfjs from '@tensorflow/tfjs';
import {
  defineLayerKind,
  isMap,
  LayerSpecError,
  needsMap,
  options,
  positiveInteger,
  schemaDefault,
  torchDefaultInit,
  type JsonSchema,
  type SpecPath,
} from './definition.ts';

export type ConvPadding = 'valid' | 'same' | number;

export interface Conv2dOptions {
  filters: number;
  kernel: number;
  stride: number;
  padding: ConvPadding;
  bias: boolean;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['filters', 'kernel'],
  description: '2-D convolution.',
  properties: {
    filters: { $ref: '#/$defs/positiveIntOrVar', description: 'Output channels.' },
    kernel: { $ref: '#/$defs/positiveIntOrVar', description: 'Square kernel size.' },
    stride: { type: 'integer', minimum: 1, default: 1, description: 'Stride.' },
    padding: {
      default: 'valid',
      description:
        "'valid' (none), 'same' (output as large as input at stride 1), or a number of zero pixels on each side, as PyTorch's padding=N.",
      oneOf: [{ enum: ['valid', 'same'] }, { type: 'integer', minimum: 0 }],
    },
    bias: { type: 'boolean', default: true, description: 'Whether the convolution adds a bias per output channel.' },
  },
};

function padding(value: unknown, path: SpecPath): ConvPadding {
  if (value === undefined) return schemaDefault<ConvPadding>(schema, 'padding');
  if (value === 'valid' || value === 'same') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw new LayerSpecError(path, `padding must be 'valid', 'same' or a whole number of pixels, got ${JSON.stringify(value)}`);
}

export const conv2d = defineLayerKind<'conv2d', Conv2dOptions>({
  name: 'conv2d',
  bare: false,
  options: schema,
  parse(raw, path) {
    const o = options(raw, path, 'conv2d');
    return {
      filters: positiveInteger(o.filters, [...path, 'filters'], 'filters'),
      kernel: positiveInteger(o.kernel, [...path, 'kernel'], 'kernel'),
      stride: o.stride === undefined ? schemaDefault<number>(schema, 'stride') : positiveInteger(o.stride, [...path, 'stride'], 'stride'),
      padding: padding(o.padding, [...path, 'padding']),
      bias: o.bias === undefined ? schemaDefault<boolean>(schema, 'bias') : o.bias === true,
    };
  },
  label(layer, input) {
    const extras = [
      layer.padding === 'valid' || layer.padding === 0 ? '' : ` pad ${layer.padding}`,
      layer.stride === 1 ? '' : ` stride ${layer.stride}`,
      layer.bias ? '' : ' no bias',
    ].join('');
    return `conv2d ${layer.kernel}×${layer.kernel} ${input[0]}→${layer.filters}${extras}`;
  },
  effect(layer, input) {
    if (!isMap(input)) return needsMap('conv2d', input);
    const [c, h, w] = input;
    const { kernel: k, stride: s, filters } = layer;
    let oh: number;
    let ow: number;
    if (layer.padding === 'same') {
      oh = Math.ceil(h / s);
      ow = Math.ceil(w / s);
    } else {
      const pad = layer.padding === 'valid' ? 0 : layer.padding;
      if (k > h + 2 * pad || k > w + 2 * pad) {
        return `kernel ${k}×${k} is larger than its ${h}×${w} input${pad ? ` padded by ${pad}` : ''}`;
      }
      oh = Math.floor((h + 2 * pad - k) / s) + 1;
      ow = Math.floor((w + 2 * pad - k) / s) + 1;
    }
    const weights = k * k * c * filters;
    return {
      output: [filters, oh, ow],
      params: weights + (layer.bias ? filters : 0),
      buffers: 0,
      multAdds: weights * oh * ow,
      window: { size: k, stride: s },
    };
  },
  build(layer, context) {
    const { tf, summary, name } = context;
    const fanIn = summary.inputShape[0] * layer.kernel * layer.kernel;
    const layers: tfjs.layers.Layer[] = [];
    // PyTorch's padding=N is N zero pixels on each side; tfjs only knows 'valid'/'same'.
    if (typeof layer.padding === 'number' && layer.padding > 0) {
      layers.push(tf.layers.zeroPadding2d({ padding: layer.padding, name: `${name}_pad` }));
    }
    layers.push(
      tf.layers.conv2d({
        name,
        filters: layer.filters,
        kernelSize: layer.kernel,
        strides: layer.stride,
        padding: layer.padding === 'same' ? 'same' : 'valid',
        useBias: layer.bias,
        kernelInitializer: torchDefaultInit(context, fanIn, 'kernel'),
        biasInitializer: torchDefaultInit(context, fanIn, 'bias'),
      }),
    );
    return layers;
  },
});
