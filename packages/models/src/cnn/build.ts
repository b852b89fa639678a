/**
 * Builds a tf.LayersModel (NHWC) from a CNN spec, with PyTorch semantics where tfjs differs:
 * explicit zero padding, batch-norm momentum, seeded PyTorch-default initialisation.
 * Every layer kind is made by one entry of LAYER_BUILDERS; callers may replace entries (e.g. a fused
 * batch-norm layer backed by a custom kernel) through BuildOptions.builders.
 */
import * as tf from '@tensorflow/tfjs';
import { LogSoftmax, SeededDropout, SpatialDropout2D } from './custom-layers.ts';
import type { CnnModelSpec, LayerKind, LayerOf } from './layers.ts';
import { ModelShapeError, summarizeModel, type LayerSummary } from './summary.ts';

export interface LayerBuildContext {
  /** The layer's analysis: input/output shapes, position, block. */
  summary: LayerSummary;
  /** Unique, readable tfjs layer name stem, e.g. '03_conv1_conv2d'. */
  name: string;
  /** Deterministic seed for this layer's randomness (initialisers, dropout masks). */
  seed: (purpose: string) => number;
}

export type LayerBuilder<K extends LayerKind> = (layer: LayerOf<K>, context: LayerBuildContext) => tf.layers.Layer[];
export type LayerBuilders = { [K in LayerKind]: LayerBuilder<K> };

export interface BuildOptions {
  seed: number;
  /** Replace how some kinds are built (same input and output shapes expected). */
  builders?: Partial<LayerBuilders>;
}

/** 32-bit hash of a string (FNV-1a then murmur's finalizer); seeds must be plain integers for tfjs. */
function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * PyTorch's default for Conv2d and Linear: kaiming_uniform(a=√5) on the weight, which works out to
 * uniform(±1/√fan_in), and the bias drawn from the same range.
 */
function torchDefaultInit(fanIn: number, seed: number): ReturnType<typeof tf.initializers.randomUniform> {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed });
}

export const LAYER_BUILDERS: LayerBuilders = {
  conv2d: (layer, { summary, name, seed }) => {
    const fanIn = summary.inputShape[0] * layer.kernel * layer.kernel;
    const layers: tf.layers.Layer[] = [];
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
        kernelInitializer: torchDefaultInit(fanIn, seed('kernel')),
        biasInitializer: torchDefaultInit(fanIn, seed('bias')),
      }),
    );
    return layers;
  },
  batchnorm: (layer, { name }) => [
    tf.layers.batchNormalization({
      name,
      axis: -1,
      // tfjs keeps `momentum` of the old running value; PyTorch's momentum weights the new batch.
      momentum: 1 - layer.momentum,
      epsilon: layer.epsilon,
    }),
  ],
  relu: (_layer, { name }) => [tf.layers.reLU({ name })],
  dropout: (layer, { name, seed }) => [new SeededDropout({ name, rate: layer.rate, seed: seed('mask') })],
  'spatial-dropout': (layer, { name, seed }) => [new SpatialDropout2D({ name, rate: layer.rate, seed: seed('mask') })],
  maxpool: (layer, { name }) => [tf.layers.maxPooling2d({ name, poolSize: layer.size, strides: layer.stride, padding: 'valid' })],
  avgpool: (layer, { name }) => [tf.layers.averagePooling2d({ name, poolSize: layer.size, strides: layer.stride, padding: 'valid' })],
  'global-avg-pool': (_layer, { name }) => [tf.layers.globalAveragePooling2d({ name })],
  flatten: (_layer, { name }) => [tf.layers.flatten({ name })],
  dense: (layer, { summary, name, seed }) => {
    const fanIn = summary.inputShape[0];
    return [
      tf.layers.dense({
        name,
        units: layer.units,
        useBias: layer.bias,
        kernelInitializer: torchDefaultInit(fanIn, seed('kernel')),
        biasInitializer: torchDefaultInit(fanIn, seed('bias')),
      }),
    ];
  },
  'log-softmax': (_layer, { name }) => [new LogSoftmax({ name })],
};

const safeName = (text: string): string => text.replace(/[^A-Za-z0-9_-]/g, '_');

/** Builds the spec's network; throws ModelShapeError if its layers do not fit together. */
export function buildModel(model: CnnModelSpec, options: BuildOptions): tf.LayersModel {
  const summary = summarizeModel(model);
  if (summary.issues.length > 0) throw new ModelShapeError(summary.issues);
  const builders: LayerBuilders = { ...LAYER_BUILDERS, ...options.builders };
  const [channels, height, width] = summary.input;
  const input = tf.input({ shape: [height, width, channels], name: 'image' });
  let x: tf.SymbolicTensor = input;
  const digits = String(summary.layers.length).length;
  for (const layerSummary of summary.layers) {
    const { layer, index } = layerSummary;
    const name = `${String(index).padStart(digits, '0')}_${safeName(layer.block)}_${layer.kind.replace('-', '_')}`;
    const context: LayerBuildContext = {
      summary: layerSummary,
      name,
      seed: (purpose) => hashSeed(`${options.seed}/${index}/${purpose}`),
    };
    const build = builders[layer.kind] as LayerBuilder<typeof layer.kind>;
    for (const tfLayer of build(layer as never, context)) x = tfLayer.apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: 'xp_cnn' });
}
