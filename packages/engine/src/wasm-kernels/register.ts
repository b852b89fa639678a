/**
 * Installs the hand-written `wasm` kernels. Idempotent: re-registering a kernel name throws in
 * tfjs, and a second import of this module (tests, workers) must be harmless.
 */
import * as tf from '@tensorflow/tfjs-core';
import { captureStock } from './util.ts';
import { fusedBatchNormConfig } from './batch-norm.ts';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.ts';
import { conv2DConfig, fusedConv2DConfig } from './conv2d.ts';
import { identityConfig } from './identity.ts';
import { maxPoolGradConfig } from './max-pool-grad.ts';
import { padV2Config } from './pad.ts';
import { sgdMomentumConfig } from './sgd.ts';
import { sliceConfig } from './slice.ts';
import { sumConfig } from './sum.ts';
import { reluBatchNormConfig, reluBatchNormGradConfig } from './relu-batch-norm.ts';

const replacements: tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  reluBatchNormConfig,
  reluBatchNormGradConfig,
  maxPoolGradConfig,
  sumConfig,
  sgdMomentumConfig,
  sliceConfig,
  padV2Config,
  fusedBatchNormConfig,
  identityConfig,
  conv2DConfig,
  fusedConv2DConfig,
];

const MARK = Symbol.for('xp.engine.wasmKernel');

/**
 * Registers the replacement kernels for `wasm` (all, or only those named: benchmarks use that to
 * time the stock kernels). Returns the names registered by this engine.
 */
export function registerWasmKernels(only?: readonly string[]): string[] {
  for (const cfg of replacements) {
    if (only && !only.includes(cfg.kernelName)) continue;
    const current = tf.getKernel(cfg.kernelName, 'wasm') as (tf.KernelConfig & { [MARK]?: boolean }) | undefined;
    if (current?.[MARK]) continue;
    captureStock(cfg.kernelName);
    if (current !== undefined) tf.unregisterKernel(cfg.kernelName, 'wasm');
    tf.registerKernel({ ...cfg, [MARK]: true } as tf.KernelConfig);
  }
  return replacements.filter((c) => !only || only.includes(c.kernelName)).map((c) => c.kernelName);
}
