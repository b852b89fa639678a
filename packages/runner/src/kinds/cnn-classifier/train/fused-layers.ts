/**
 * The seed's conv-block tail, ReLU → batch norm → Dropout2d, as one layer running the engine's
 * fused `reluBatchNorm` op. Built from separate tf.layers, that tail costs more than the
 * convolutions on wasm (batch norm's gradient alone broadcasts with Tile); fused it is two passes
 * over the data each way. Other backends run the op's stock composition, so a model trains the
 * same everywhere and its checkpoints stay interchangeable.
 */
import * as tf from '@tensorflow/tfjs';
import { LAYER_BUILDERS, summarizeModel, type CnnModelSpec, type LayerBuilders } from '@xp/models';
import { conv2dOfData, dropout2dMask, reluBatchNorm, type BatchSlice } from '@xp/engine';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = { [key: string]: unknown };

/**
 * The rows of the whole batch that the current training call sees. A data-parallel worker (see
 * ./parallel.ts) trains on a slice of each batch; the layers that draw random masks draw the
 * whole batch's mask from the step's seed and keep their rows, so the workers' masks differ (they
 * are different rows) and together are the mask a single thread would have drawn, and batch
 * norm's running variance is corrected with the whole batch's count.
 */
let currentSlice: BatchSlice | null = null;

/** Runs `fn` (a forward pass in training mode) as the given slice of the batch. */
export function withBatchSlice<T>(slice: BatchSlice, fn: () => T): T {
  const outer = currentSlice;
  currentSlice = slice;
  try {
    return fn();
  } finally {
    currentSlice = outer;
  }
}

/** Where `rows` rows of this call sit in the batch: all of it unless inside `withBatchSlice`. */
function sliceOf(rows: number): BatchSlice {
  if (currentSlice === null) return { offset: 0, rows, total: rows };
  if (currentSlice.rows !== rows) throw new Error(`layer input has ${rows} rows but the batch slice has ${currentSlice.rows}`);
  return currentSlice;
}

/** Layers whose random masks are picked by the training step number. */
export interface StepCounted {
  /** Training calls so far: one per step, so it is the step number of the next call. */
  trainingCalls: number;
}

/** Sets every step-counted layer's count, so masks carry on from step `step` (a resume, a worker given state). */
export function setTrainingStep(model: tf.LayersModel, step: number): void {
  for (const layer of model.layers) {
    if (layer instanceof ReluBatchNormLayer || layer instanceof StepDropout || layer instanceof StepSpatialDropout2D) layer.trainingCalls = step;
  }
}

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
export class ReluBatchNormLayer extends tf.layers.Layer implements StepCounted {
  static className = 'XpReluBatchNorm';
  readonly relu: boolean;
  readonly dropoutRate: number;
  readonly seed: number;
  readonly momentum: number;
  readonly epsilon: number;
  /** Training steps taken; it picks each step's dropout mask, so a resumed run sets it to carry on (setTrainingStep). */
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
    const step = this.trainingCalls++;
    const [n, h, w, c] = x.shape;
    const slice = sliceOf(n);
    let mask: tf.Tensor2D | undefined;
    if (this.dropoutRate > 0) {
      const stepSeed = (Math.imul(this.seed ^ 0x5bd1e995, 31) + step * 0x9e3779b1) >>> 0;
      // The whole batch's mask, of which this call keeps its rows.
      mask = tf.tidy(() => {
        const whole = dropout2dMask(slice.total, c, this.dropoutRate, stepSeed);
        return slice.total === n ? whole : whole.slice([slice.offset, 0], [n, c]);
      });
    }
    const result = reluBatchNorm(x, gamma, beta, { epsilon: this.epsilon, relu: this.relu, dropoutMask: mask });
    mask?.dispose();
    const { mean, variance } = result;
    // Under data parallelism the statistics are the whole batch's (synchronized), so is the count.
    const count = slice.total * h * w;
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

interface StepDropoutArgs extends LayerArgs {
  rate: number;
  seed: number;
}

/**
 * Dropout whose mask is drawn from (seed, training step), like @xp/models' SeededDropout (and the
 * same masks), with the step count exposed so a resumed run carries on with the masks an
 * uninterrupted one would draw, and slice-aware for data-parallel workers.
 */
abstract class StepDropoutBase extends tf.layers.Layer implements StepCounted {
  readonly rate: number;
  readonly seed: number;
  trainingCalls = 0;

  constructor(args: StepDropoutArgs) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  /** The mask's shape for the given input; dimensions of 1 broadcast (channel-wise dropout). */
  protected abstract noiseShape(input: tf.Tensor): number[];

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs['training'] !== true || this.rate === 0) return x;
    const seed = `${this.seed}:${this.trainingCalls++}`;
    const shape = this.noiseShape(x);
    const slice = sliceOf(x.shape[0]);
    if (slice.total === slice.rows) return tf.dropout(x, this.rate, shape, seed);
    // tf.dropout's formula on this call's rows of the whole batch's draw.
    return tf.tidy(() => {
      const keep = 1 - this.rate;
      const whole = tf.randomUniform([slice.total, ...shape.slice(1)], 0, 1, 'float32', seed);
      const rows = tf.slice(whole, [slice.offset, ...shape.slice(1).map(() => 0)], [slice.rows, ...shape.slice(1)]);
      return tf.mul(x, tf.div(tf.floor(tf.add(rows, keep)), keep));
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/** Elementwise dropout (PyTorch Dropout). */
export class StepDropout extends StepDropoutBase {
  static className = 'XpStepDropout';
  protected noiseShape(input: tf.Tensor): number[] {
    return input.shape;
  }
}

/** PyTorch Dropout2d on NHWC: whole feature maps of each example. */
export class StepSpatialDropout2D extends StepDropoutBase {
  static className = 'XpStepSpatialDropout2D';
  protected noiseShape(input: tf.Tensor): number[] {
    if (input.rank !== 4) throw new Error(`${StepSpatialDropout2D.className} expects a 4-D NHWC input, got rank ${input.rank}`);
    const [batch, , , channels] = input.shape;
    return [batch, 1, 1, channels];
  }
}

tf.serialization.registerClass(StepDropout);
tf.serialization.registerClass(StepSpatialDropout2D);

/** What a tf.layers Conv2D keeps (protected in its typings). */
interface Conv2DInternals {
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string };
}

/**
 * Makes a tf.layers Conv2D whose input is the images compute through conv2dOfData: the same
 * output and weight gradients, without the images' gradient that tf.fused.conv2d computes and
 * nothing reads. The layer stays a Conv2D (class, config and weights as saved and exported); one
 * it cannot take as is (dilated, channels first, an activation of its own) is left as it is.
 */
export function withoutInputGradient(layer: tf.layers.Layer): tf.layers.Layer {
  const conv = layer as unknown as Conv2DInternals;
  const plain = layer.getClassName() === 'Conv2D' && conv.dataFormat === 'channelsLast' && conv.dilationRate.every((d) => d === 1) && conv.activation.getClassName() === 'linear';
  if (!plain) return layer;
  const pad = conv.padding === 'same' ? 'same' : 'valid';
  layer.call = (inputs) =>
    tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return conv2dOfData(x, conv.kernel.read() as tf.Tensor4D, (conv.bias?.read() ?? null) as tf.Tensor1D | null, { strides: [conv.strides[0], conv.strides[1]], pad });
    });
  return layer;
}

/**
 * Builders for `buildModel` that turn every batch norm on a feature map into a ReluBatchNormLayer,
 * folding in a relu right before it and a spatial-dropout right after it; the other dropouts
 * become step-counted ones (same masks as @xp/models' layers, resumable); a first layer that is a
 * convolution leaves out the images' gradient (withoutInputGradient).
 */
export function fusedBuilders(model: CnnModelSpec): Partial<LayerBuilders> {
  const layers = summarizeModel(model).layers;
  const kindAt = (index: number) => layers[index - 1]?.layer.kind;
  const fusedNorms = new Set(layers.filter((l) => l.layer.kind === 'batchnorm' && l.inputShape.length === 3).map((l) => l.index));
  const foldedRelus = new Set([...fusedNorms].filter((i) => kindAt(i - 1) === 'relu').map((i) => i - 1));
  const foldedDropouts = new Set([...fusedNorms].filter((i) => kindAt(i + 1) === 'spatial-dropout').map((i) => i + 1));
  return {
    conv2d: (layer, context) => {
      const built = LAYER_BUILDERS.conv2d(layer, context);
      // Only the first layer's input is the images; later convolutions' inputs need their gradient.
      if (context.summary.index === 1) built[built.length - 1] = withoutInputGradient(built[built.length - 1]);
      return built;
    },
    relu: (layer, context) => (foldedRelus.has(context.summary.index) ? [] : LAYER_BUILDERS.relu(layer, context)),
    'spatial-dropout': (layer, context) =>
      foldedDropouts.has(context.summary.index) ? [] : [new StepSpatialDropout2D({ name: context.name, rate: layer.rate, seed: context.seed('mask') })],
    dropout: (layer, context) => [new StepDropout({ name: context.name, rate: layer.rate, seed: context.seed('mask') })],
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
