/**
 * Builds a tf.LayersModel (NHWC) from a CNN spec, with PyTorch semantics where tfjs differs:
 * explicit zero padding, batch-norm momentum, seeded PyTorch-default initialisation.
 * Every layer kind is made by its module's builder (./layers/<kind>.ts), gathered in LAYER_BUILDERS;
 * callers may replace entries (e.g. a fused batch-norm layer backed by a custom kernel) through
 * BuildOptions.builders.
 */
import * as tf from '@tensorflow/tfjs';
import * as custom from './custom-layers.ts';
import type { CnnModelSpec, LayerKind, LayerOf } from './layers.ts';
import type { LayerBuildContext, LayerKindDefinition } from './layers/definition.ts';
import { LAYER_KIND_DEFINITIONS } from './layers/index.ts';
import { ModelShapeError, summarizeModel } from './summary.ts';

export type { LayerBuildContext };

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

/** Each registered kind's own builder, by kind. */
export const LAYER_BUILDERS: LayerBuilders = Object.fromEntries(
  (LAYER_KIND_DEFINITIONS as readonly LayerKindDefinition[]).map((definition) => [
    definition.name,
    (layer: LayerOf<LayerKind>, context: LayerBuildContext) => definition.build(layer, context),
  ]),
) as LayerBuilders;

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
      tf,
      custom,
    };
    const build = builders[layer.kind] as LayerBuilder<typeof layer.kind>;
    for (const tfLayer of build(layer as never, context)) x = tfLayer.apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: 'xp_cnn' });
}
