/**
 * The exported form of a trained CNN: the same network rebuilt from TensorFlow.js's own layer
 * classes only, each layer kind's `stock` form (./../layers/<kind>.ts), ending in softmax so that
 * its output is class probabilities, with the trained model's weights copied in by layer name.
 * Stock `tf.loadLayersModel` opens it without xp: no custom layer (xp's fused ReLU → batch norm,
 * its step-seeded dropouts, its log-softmax) is left in it.
 *
 * Copying by name works because every builder, fused or stock, names the layer that holds a
 * kind's weights after the spec's layer (buildModel's `03_conv1_batchnorm`), and a fused layer
 * keeps its weights in the order of the stock layer it stands for.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, LAYER_BUILDERS, type LayerBuilder, type LayerBuilders } from '../build.ts';
import type { CnnModelSpec, LayerKind, LayerOf } from '../layers.ts';
import type { LayerKindDefinition, StockBuildContext } from '../layers/definition.ts';
import { LAYER_KIND_DEFINITIONS } from '../layers/index.ts';
import { summarizeModel } from '../summary.ts';

/** What the exported model's output is: one probability per class, summing to 1. */
export const STOCK_OUTPUT = 'probabilities';

/** A network, or a trained model's weights, that the stock form cannot hold; names the layer. */
export class StockExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StockExportError';
  }
}

/** The stock network for `model`, untrained (its weights come from copyTrainedWeights). */
export function buildStockModel(model: CnnModelSpec): tf.LayersModel {
  const layers = summarizeModel(model).layers;
  const lastIndex = layers.length;
  const builders = Object.fromEntries(
    (LAYER_KIND_DEFINITIONS as readonly LayerKindDefinition[]).map((definition) => {
      const stock: LayerBuilder<LayerKind> = (layer: LayerOf<LayerKind>, context) => {
        const stockContext: StockBuildContext = { ...context, last: context.summary.index === lastIndex };
        const made = definition.stock ? definition.stock(layer, stockContext) : LAYER_BUILDERS[layer.kind](layer as never, context);
        if (typeof made === 'string') throw new StockExportError(`layer ${context.summary.index} (${layer.path.join('.')}): ${made}`);
        return made;
      };
      return [definition.name, stock];
    }),
  ) as LayerBuilders;
  // Initial values are overwritten by the trained ones; the seed only makes the build deterministic.
  const network = buildModel(model, { seed: 0, builders });
  const endsInSoftmax = layers[lastIndex - 1]?.layer.kind === 'log-softmax';
  if (endsInSoftmax) return network;
  // A network that ends in raw scores: xp reads its probabilities as their softmax, and so does the export.
  const output = tf.layers.softmax({ name: 'probabilities' }).apply(network.outputs[0]) as tf.SymbolicTensor;
  return tf.model({ inputs: network.inputs, outputs: output, name: network.name });
}

/**
 * Copies every weight of `trained` into the layer of `stock` of the same name, checking shapes;
 * throws when a layer or a weight of either has no counterpart, so nothing is silently left at
 * its initial value.
 */
export function copyTrainedWeights(trained: tf.LayersModel, stock: tf.LayersModel): void {
  const trainedByName = new Map(trained.layers.filter((layer) => layer.weights.length > 0).map((layer) => [layer.name, layer]));
  for (const target of stock.layers) {
    if (target.weights.length === 0) continue;
    const source = trainedByName.get(target.name);
    if (!source) throw new StockExportError(`the trained model has no layer '${target.name}' to take the exported layer's weights from`);
    trainedByName.delete(target.name);
    if (source.weights.length !== target.weights.length) {
      throw new StockExportError(`layer '${target.name}' has ${source.weights.length} weights trained but ${target.weights.length} in its stock form`);
    }
    source.weights.forEach((weight, i) => {
      const into = target.weights[i];
      if (!tf.util.arraysEqual(weight.shape as number[], into.shape as number[]) || weight.originalName !== into.originalName) {
        throw new StockExportError(
          `layer '${target.name}': trained weight ${weight.originalName} [${weight.shape}] does not match the stock weight ${into.originalName} [${into.shape}]`,
        );
      }
    });
    // getWeights hands out the variables' own tensors (not copies): nothing to dispose.
    target.setWeights(source.getWeights());
  }
  const left = [...trainedByName.keys()];
  if (left.length > 0) throw new StockExportError(`the stock model has no place for the weights of trained layer(s) ${left.join(', ')}`);
}

/** The trained model in its stock form, weights copied: what `model/` holds. */
export function stockModelOf(model: CnnModelSpec, trained: tf.LayersModel): tf.LayersModel {
  const stock = buildStockModel(model);
  try {
    copyTrainedWeights(trained, stock);
    return stock;
  } catch (error) {
    stock.dispose();
    throw error;
  }
}
