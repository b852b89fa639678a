/**
 * Layers tfjs lacks: PyTorch's Dropout2d (whole channels), a dropout whose masks are seeded yet
 * differ every step (tfjs's seeded Dropout repeats one mask forever), and log-softmax. All are
 * registered with tf.serialization so saved models load again.
 */
import * as tf from '@tensorflow/tfjs';

type Kwargs = { [key: string]: unknown };

/** tfjs's base layer arguments (name, trainable, input shape...), not exported under a name. */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

interface SeededDropoutArgs extends LayerArgs {
  rate: number;
  /** Masks are drawn from (seed, call number): reproducible per run, new at every step. */
  seed: number;
}

abstract class SeededDropoutBase extends tf.layers.Layer {
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  /** Shape of the random mask; dimensions of 1 broadcast, which is what makes dropout channel-wise. */
  protected abstract noiseShape(input: tf.Tensor): number[];

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs['training'] !== true || this.rate === 0) return x;
    // tf.dropout scales kept values by 1/(1-rate), as PyTorch does.
    return tf.dropout(x, this.rate, this.noiseShape(x), `${this.seed}:${this.calls++}`);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/** Elementwise dropout (PyTorch Dropout). */
export class SeededDropout extends SeededDropoutBase {
  static className = 'XpSeededDropout';
  protected noiseShape(input: tf.Tensor): number[] {
    return input.shape;
  }
}

/** PyTorch Dropout2d on NHWC: zeroes whole feature maps of each example, training only. */
export class SpatialDropout2D extends SeededDropoutBase {
  static className = 'XpSpatialDropout2D';
  protected noiseShape(input: tf.Tensor): number[] {
    if (input.rank !== 4) throw new Error(`${SpatialDropout2D.className} expects a 4-D NHWC input, got rank ${input.rank}`);
    const [batch, , , channels] = input.shape;
    return [batch, 1, 1, channels];
  }
}

/** log(softmax(x)) over the last axis, computed stably by tf.logSoftmax. */
export class LogSoftmax extends tf.layers.Layer {
  static className = 'XpLogSoftmax';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.logSoftmax(x);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
}

tf.serialization.registerClass(SeededDropout);
tf.serialization.registerClass(SpatialDropout2D);
tf.serialization.registerClass(LogSoftmax);
