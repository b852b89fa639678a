/**
 * The seed's 19,816-parameter MNIST network (shared/reference/part2-seed-cnn.md) written with
 * raw tf ops, NHWC, for timing training steps. It does not depend on packages/models so that the
 * benchmark measures the engine alone.
 *
 * `bn: 'composite'` uses stock tfjs ops for ReLU/batch norm/Dropout2d (what a tf.layers model
 * does); `bn: 'fused'` uses the engine's fused `reluBatchNorm` op.
 */
import * as tf from '@tensorflow/tfjs';
import { reluBatchNorm } from '@xp/engine';

type Conv = { w: tf.Variable<tf.Rank.R4>; b: tf.Variable<tf.Rank.R1>; pad: 'valid' | 'same' };
type Bn = { gamma: tf.Variable<tf.Rank.R1>; beta: tf.Variable<tf.Rank.R1>; mean: tf.Tensor1D; variance: tf.Tensor1D };

export interface SeedNet {
  variables: tf.Variable[];
  /** Mean NLL loss of a batch; updates batch-norm running statistics when training. */
  loss(x: tf.Tensor4D, labels: tf.Tensor1D, training: boolean): tf.Scalar;
  numParams: number;
}

export function buildSeedNet(opts: { bn: 'composite' | 'fused'; seed?: number }): SeedNet {
  let seed = opts.seed ?? 1;
  const conv = (k: number, ci: number, co: number, pad: 'valid' | 'same' = 'valid'): Conv => ({
    w: tf.variable(tf.randomNormal([k, k, ci, co], 0, Math.sqrt(2 / (k * k * ci)), 'float32', seed++)) as tf.Variable<tf.Rank.R4>,
    b: tf.variable(tf.zeros([co])) as tf.Variable<tf.Rank.R1>,
    pad,
  });
  const bn = (c: number): Bn => ({
    gamma: tf.variable(tf.ones([c])) as tf.Variable<tf.Rank.R1>,
    beta: tf.variable(tf.zeros([c])) as tf.Variable<tf.Rank.R1>,
    mean: tf.keep(tf.zeros([c])),
    variance: tf.keep(tf.ones([c])),
  });
  const c1 = conv(3, 1, 16), n1 = bn(16);
  const c2 = conv(3, 16, 16), n2 = bn(16);
  const c3 = conv(3, 16, 32), n3 = bn(32);
  const c4 = conv(1, 32, 16);
  const c6 = conv(3, 16, 16), n6 = bn(16);
  const c7 = conv(3, 16, 16), n7 = bn(16);
  const c8 = conv(3, 16, 16, 'same'), n8 = bn(16);
  const c9 = conv(3, 16, 16), n9 = bn(16);
  const c10 = conv(3, 16, 16, 'same'), n10 = bn(16);
  const c11 = conv(1, 16, 10);
  const fcW = tf.variable(tf.randomNormal([10, 10], 0, Math.sqrt(1 / 10), 'float32', seed++));
  const fcB = tf.variable(tf.zeros([10]));
  const convs = [c1, c2, c3, c4, c6, c7, c8, c9, c10, c11];
  const bns = [n1, n2, n3, n6, n7, n8, n9, n10];
  const variables: tf.Variable[] = [...convs.flatMap((c) => [c.w, c.b]), ...bns.flatMap((n) => [n.gamma, n.beta]), fcW, fcB];
  const momentum = 0.1;
  const eps = 1e-5;

  const updateStats = (n: Bn, mean: tf.Tensor1D, variance: tf.Tensor1D): void => {
    const m = tf.keep(tf.tidy(() => n.mean.mul(1 - momentum).add(mean.mul(momentum)))) as tf.Tensor1D;
    const v = tf.keep(tf.tidy(() => n.variance.mul(1 - momentum).add(variance.mul(momentum)))) as tf.Tensor1D;
    n.mean.dispose(); n.variance.dispose();
    n.mean = m; n.variance = v;
  };

  const block = (x: tf.Tensor4D, c: Conv, n: Bn, dropout: number, training: boolean): tf.Tensor4D => {
    // The first layer's input needs no gradient: tf.conv2d's gradient is lazy per input, while
    // fused.conv2d's custom gradient would compute the (unused) input gradient as well.
    const z = c === c1
      ? tf.add(tf.conv2d(x, c.w, 1, c.pad), c.b) as tf.Tensor4D
      : tf.fused.conv2d({ x, filter: c.w, bias: c.b, strides: 1, pad: c.pad });
    if (!training) {
      return tf.batchNorm(tf.relu(z), n.mean, n.variance, n.beta, n.gamma, eps) as tf.Tensor4D;
    }
    if (opts.bn === 'fused') {
      const r = reluBatchNorm(z, n.gamma, n.beta, { epsilon: eps, dropoutRate: dropout });
      updateStats(n, r.mean, r.variance);
      return r.y;
    }
    const a = tf.relu(z);
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    updateStats(n, mean as tf.Tensor1D, variance as tf.Tensor1D);
    let y = tf.batchNorm(a, mean, variance, n.beta, n.gamma, eps) as tf.Tensor4D;
    if (dropout > 0) {
      const [b, , , ch] = y.shape;
      const mask = tf.randomUniform([b, 1, 1, ch]).greaterEqual(dropout).cast('float32').div(1 - dropout);
      y = y.mul(mask);
    }
    return y;
  };

  const loss = (x: tf.Tensor4D, labels: tf.Tensor1D, training: boolean): tf.Scalar => {
    const d = training ? 0.1 : 0;
    let h = block(x, c1, n1, d, training);
    h = block(h, c2, n2, d, training);
    h = block(h, c3, n3, d, training);
    h = tf.fused.conv2d({ x: h, filter: c4.w, bias: c4.b, strides: 1, pad: 'valid', activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
    h = block(h, c6, n6, d, training);
    h = block(h, c7, n7, d, training);
    h = block(h, c8, n8, d, training);
    h = block(h, c9, n9, 0, training);
    h = block(h, c10, n10, 0, training);
    h = tf.fused.conv2d({ x: h, filter: c11.w, bias: c11.b, strides: 1, pad: 'valid' });
    const pooled = tf.avgPool(h, 5, 1, 'valid').reshape([x.shape[0], 10]) as tf.Tensor2D;
    const logits = tf.fused.matMul({ a: pooled, b: fcW as tf.Tensor2D, bias: fcB });
    const logp = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(labels.toInt(), 10);
    return tf.neg(tf.sum(tf.mul(logp, oneHot))).div(x.shape[0]) as tf.Scalar;
  };

  const numParams = variables.reduce((s, v) => s + v.size, 0);
  return { variables, loss, numParams };
}
