/**
 * The seed's conv-block tail, ReLU → batch norm → Dropout2d, as one layer running the engine's
 * fused `reluBatchNorm` op. Built from separate tf.layers, that tail costs more than the
 * convolutions on wasm (batch norm's gradient alone broadcasts with Tile); fused it is two passes
 * over the data each way. Other backends run the op's stock composition, so a model trains the
 * same everywhere and its checkpoints stay interchangeable.
 */
import * as tf from '@tensorflow/tfjs';
import { LAYER_BUILDERS, summarizeModel, type CnnModelSpec, type LayerBuilders } from '@xp/models';
import { reluBatchNorm } from '../engine/index.ts';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = { [key: string]: unknown };

export interface ReluBatchNormLayerArgs extends LayerArgs {
  /** Apply ReLU before normalizing (a relu layer right before the batch norm was folded in). */
  relu: boolean;
  /** Dropout2d rate folded in from a spatial-dropout right after; 0 for none. */
  dropoutRate: number;
  seed: number;
  /** PyTorch's: the weight of the new batch in the running statistics. */
  momentum: number;
  epsilon: number;
}

/** Weights named and ordered as tf.layers' BatchNormalization: gamma, beta, moving_mean, moving_variance. */
export class ReluBatchNormLayer extends tf.layers.Layer {
  static className = 'XpReluBatchNorm';
  readonly relu: boolean;
  readonly dropoutRate: number;
  readonly seed: number;
  readonly momentum: number;
  readonly epsilon: number;
  /** Training steps taken; it picks each step's dropout mask, so a resumed run sets it to carry on. */
  trainingCalls = 0;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;

  constructor(args: ReluBatchNormLayerArgs) {
    super(args);
    this.relu = args.relu;
    this.dropoutRate = args.dropoutRate;
    this.seed = args.seed;
    this.momentum = args.momentum;
    this.epsilon = args.epsilon;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1] as number;
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const gamma = this.gamma.read() as tf.Tensor1D;
    const beta = this.beta.read() as tf.Tensor1D;
    if (kwargs['training'] !== true) {
      return tf.batchNorm(this.relu ? tf.relu(x) : x, this.movingMean.read(), this.movingVariance.read(), beta, gamma, this.epsilon);
    }
    // Masks differ at every step yet repeat for a seed: the step number picks the stream.
    const stepSeed = this.dropoutRate > 0 ? (Math.imul(this.seed ^ 0x5bd1e995, 31) + this.trainingCalls++ * 0x9e3779b1) >>> 0 : undefined;
    const result = reluBatchNorm(x, gamma, beta, { epsilon: this.epsilon, relu: this.relu, dropoutRate: this.dropoutRate, seed: stepSeed });
    const { mean, variance, count } = result;
    tf.tidy(() => {
      const m = this.momentum;
      // PyTorch keeps the unbiased variance in its running statistics.
      const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
      this.movingMean.write(tf.add(tf.mul(this.movingMean.read(), 1 - m), tf.mul(mean, m)));
      this.movingVariance.write(tf.add(tf.mul(this.movingVariance.read(), 1 - m), tf.mul(unbiased, m)));
    });
    tf.dispose([mean, variance]);
    return result.y;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), relu: this.relu, dropoutRate: this.dropoutRate, seed: this.seed, momentum: this.momentum, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(ReluBatchNormLayer);

/**
 * Builders for `buildModel` that turn every batch norm on a feature map into a ReluBatchNormLayer,
 * folding in a relu right before it and a spatial-dropout right after it.
 */
export function fusedBuilders(model: CnnModelSpec): Partial<LayerBuilders> {
  const layers = summarizeModel(model).layers;
  const kindAt = (index: number) => layers[index - 1]?.layer.kind;
  const fusedNorms = new Set(layers.filter((l) => l.layer.kind === 'batchnorm' && l.inputShape.length === 3).map((l) => l.index));
  const foldedRelus = new Set([...fusedNorms].filter((i) => kindAt(i - 1) === 'relu').map((i) => i - 1));
  const foldedDropouts = new Set([...fusedNorms].filter((i) => kindAt(i + 1) === 'spatial-dropout').map((i) => i + 1));
  return {
    relu: (layer, context) => (foldedRelus.has(context.summary.index) ? [] : LAYER_BUILDERS.relu(layer, context)),
    'spatial-dropout': (layer, context) => (foldedDropouts.has(context.summary.index) ? [] : LAYER_BUILDERS['spatial-dropout'](layer, context)),
    batchnorm: (layer, context) => {
      const index = context.summary.index;
      if (!fusedNorms.has(index)) return LAYER_BUILDERS.batchnorm(layer, context);
      const dropout = foldedDropouts.has(index + 1) ? layers[index].layer : undefined;
      return [
        new ReluBatchNormLayer({
          name: context.name,
          relu: foldedRelus.has(index - 1),
          dropoutRate: dropout?.kind === 'spatial-dropout' ? dropout.rate : 0,
          seed: context.seed('mask'),
          momentum: layer.momentum,
          epsilon: layer.epsilon,
        }),
      ];
    },
  };
}
