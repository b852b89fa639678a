/**
 * Fused training ops that model layers call instead of composing stock tf ops. On `wasm` they
 * run the engine's hand-written kernels; on any other backend (tfjs-node, cpu) they fall back to
 * the stock composition, which those backends already run well, so callers need no branches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RELU_BN_BACKWARD, RELU_BN_FORWARD } from './wasm-kernels/relu-batch-norm.ts';
import { SGD_MOMENTUM, type SgdMomentumAttrs } from './wasm-kernels/sgd.ts';

export interface ReluBatchNormOptions {
  /** Added to the variance before the square root. Default 1e-5 (PyTorch's default). */
  epsilon?: number;
  /** Apply ReLU to the input first (conv → ReLU → BN, the seed's order). Default true. */
  relu?: boolean;
  /**
   * Dropout2d: a [batch, channels] tensor multiplied into the output per sample and channel,
   * holding 0 for dropped channels and 1/(1-rate) for kept ones. Overrides `dropoutRate`.
   */
  dropoutMask?: tf.Tensor2D;
  /** Dropout2d rate; a fresh mask is drawn from tf.randomUniform on each call. Default 0. */
  dropoutRate?: number;
  /** Seed for the drawn mask (tests). */
  seed?: number;
}

export interface ReluBatchNormResult {
  /** dropout2d(γ · (relu(x) − mean) / √(variance + ε) + β), same shape as x. */
  y: tf.Tensor4D;
  /** Per-channel batch mean of relu(x) (not differentiable: use it for running statistics). */
  mean: tf.Tensor1D;
  /**
   * Per-channel biased batch variance (divided by N·H·W), the one the batch was normalized with.
   * PyTorch's running_var uses the unbiased one: multiply by count / (count − 1).
   */
  variance: tf.Tensor1D;
  /** N·H·W, the number of values per channel in this batch (in a data-parallel worker: its slice). */
  count: number;
}

/** Makes a Dropout2d mask: [batch, channels] of 0 or 1/(1-rate). */
export function dropout2dMask(batch: number, channels: number, rate: number, seed?: number): tf.Tensor2D {
  return tf.tidy(() =>
    tf.randomUniform([batch, channels], 0, 1, 'float32', seed).greaterEqual(rate).cast('float32').mul(1 / (1 - rate)) as tf.Tensor2D);
}

function useWasmKernels(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(RELU_BN_FORWARD, 'wasm') !== undefined;
}

/**
 * Training-mode ReLU → batch norm (batch statistics) → Dropout2d for NHWC input, with gradients
 * for x, gamma and beta. For inference use `tf.batchNorm(tf.relu(x), runningMean, runningVar,
 * beta, gamma, epsilon)`.
 */
export function reluBatchNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  opts: ReluBatchNormOptions = {},
): ReluBatchNormResult {
  const epsilon = opts.epsilon ?? 1e-5;
  const relu = opts.relu ?? true;
  const [n, h, w, c] = x.shape;
  const rate = opts.dropoutRate ?? 0;
  const ownMask = opts.dropoutMask === undefined && rate > 0;
  const mask = opts.dropoutMask ?? (ownMask ? dropout2dMask(n, c, rate, opts.seed) : undefined);
  const count = n * h * w;
  try {
    if (!useWasmKernels()) return { ...composite(x, gamma, beta, epsilon, relu, mask), count };
    return { ...fused(x, gamma, beta, epsilon, relu, mask), count };
  } finally {
    if (ownMask) mask!.dispose();
  }
}

function composite(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, relu: boolean, mask?: tf.Tensor2D) {
  return tf.tidy(() => {
    const a = relu ? tf.relu(x) : x;
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    let y = tf.batchNorm(a, mean, variance, beta, gamma, epsilon);
    if (mask) y = y.mul(mask.reshape([x.shape[0], 1, 1, x.shape[3]]));
    return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

function fused(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, relu: boolean, mask?: tf.Tensor2D) {
  const attrs = { epsilon, relu } as unknown as tf.NamedAttrMap;
  // customGrad's value must be a single tensor: the statistics leave through this closure, kept
  // so the forward's tidy does not free them, and handed back as ordinary tracked tensors below.
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad((...args: unknown[]) => {
    const [xi, g, b] = args as tf.Tensor[];
    const m = mask ? (args[3] as tf.Tensor) : undefined;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs: tf.NamedTensorMap = { x: xi, gamma: g, beta: b };
    if (m) inputs.mask = m;
    const [y, mean, variance] = tf.engine().runKernel(RELU_BN_FORWARD, inputs, attrs) as tf.Tensor[];
    stats = [tf.keep(mean), tf.keep(variance)];
    save(m ? [xi, g, mean, variance, m] : [xi, g, mean, variance]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, smean, svar, smask] = saved;
        const gi: tf.NamedTensorMap = { dy, x: sx, gamma: sg, mean: smean, variance: svar };
        if (smask) gi.mask = smask;
        const [dx, dgamma, dbeta] = tf.engine().runKernel(RELU_BN_BACKWARD, gi, attrs) as tf.Tensor[];
        return smask ? [dx, dgamma, dbeta, tf.zerosLike(smask)] : [dx, dgamma, dbeta];
      },
    };
  });
  const y = (mask ? op(x, gamma, beta, mask) : op(x, gamma, beta)) as tf.Tensor4D;
  const [mean, variance] = stats.map((t) => {
    const tracked = t.clone();
    t.dispose();
    return tracked;
  });
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

export interface SgdMomentumSettings {
  lr: number;
  /** 0: plain SGD (no velocities). */
  momentum: number;
  /** PyTorch's weight_decay: an L2 term added to the gradient. */
  weightDecay: number;
}

/**
 * PyTorch's SGD step for every variable at once: g ← g + wd·w; v ← m·v + g; w ← w − lr·v. Returns
 * the new weights and velocities (the caller assigns them; `velocities` is empty without
 * momentum). On `wasm` one kernel call does every variable (./wasm-kernels/sgd.ts) with the bits
 * of the composition the other backends run.
 */
export function sgdMomentumUpdate(
  weights: readonly tf.Tensor[],
  velocities: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  settings: SgdMomentumSettings,
): { weights: tf.Tensor[]; velocities: tf.Tensor[] } {
  const { lr, momentum, weightDecay } = settings;
  if (tf.getBackend() === 'wasm' && tf.getKernel(SGD_MOMENTUM, 'wasm') !== undefined) {
    const inputs: tf.NamedTensorMap = {};
    weights.forEach((w, i) => {
      inputs[`w${i}`] = w;
      inputs[`g${i}`] = grads[i];
      if (momentum > 0) inputs[`v${i}`] = velocities[i];
    });
    const attrs: SgdMomentumAttrs = { count: weights.length, lr, momentum, weightDecay };
    const out = tf.engine().runKernel(SGD_MOMENTUM, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    // The kernel's outputs, per variable: its new value, then (with momentum) its new velocity.
    const per = momentum > 0 ? 2 : 1;
    return { weights: weights.map((_, i) => out[per * i]), velocities: momentum > 0 ? weights.map((_, i) => out[per * i + 1]) : [] };
  }
  const newWeights: tf.Tensor[] = [];
  const newVelocities: tf.Tensor[] = [];
  weights.forEach((w, i) => {
    const grad = weightDecay > 0 ? tf.add(grads[i], tf.mul(w, weightDecay)) : grads[i];
    let step = grad;
    if (momentum > 0) {
      step = tf.add(tf.mul(velocities[i], momentum), grad);
      newVelocities.push(step);
    }
    newWeights.push(tf.sub(w, tf.mul(step, lr)));
  });
  return { weights: newWeights, velocities: newVelocities };
}

export interface DataConv2dOptions {
  strides: [number, number];
  pad: 'valid' | 'same';
}

/**
 * A convolution of data, `bias` added: what tf.fused.conv2d computes (the same kernel, the same
 * bits), with gradients for the filter and the bias only. tf.fused.conv2d's gradient computes the
 * input's gradient too, unasked (a custom gradient returns every input's at once): for a network's
 * first convolution that is the images' gradient, which nothing reads, and on `wasm` 6 ms of a
 * 128-image step of the seed network (a 16 → 1 channel transposed convolution). The filter's and
 * bias's gradients are the ones tf.fused.conv2d would return, to the bit.
 */
export function conv2dOfData(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | null, options: DataConv2dOptions): tf.Tensor4D {
  const { strides, pad } = options;
  const forward = (f: tf.Tensor4D, b: tf.Tensor1D | undefined): tf.Tensor4D => tf.fused.conv2d({ x, filter: f, bias: b, strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: 'linear' });
  const filterGradient = (images: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x: images, dy }, { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  // tf.fused.conv2d's bias gradient: dy summed over every axis but the channels'.
  const biasGradient = (dy: tf.Tensor4D, b: tf.Tensor1D): tf.Tensor => tf.reshape(tf.sum(dy, [0, 1, 2]), b.shape);
  // One op for both arities: the filter, and the bias where there is one; the save function comes last.
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [f, b] = args as [tf.Tensor4D, tf.Tensor1D | undefined];
    // Saved, x outlives the forward pass's scopes until the backward pass.
    save([x]);
    return {
      value: forward(f, b),
      gradFunc: (dy, saved) => {
        const filterDer = filterGradient(saved[0] as tf.Tensor4D, dy as tf.Tensor4D);
        return b === undefined ? [filterDer] : [filterDer, biasGradient(dy as tf.Tensor4D, b)];
      },
    };
  });
  return (bias === null ? op(filter) : op(filter, bias)) as tf.Tensor4D;
}
