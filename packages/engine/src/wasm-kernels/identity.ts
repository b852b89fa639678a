/**
 * Identity for `wasm` that shares the input's buffer (raising its reference count) instead of
 * copying it, as tfjs's cpu backend and wasm's own Reshape do. tf.clone runs it, and customGrad
 * clones every tensor a gradient saves, so the stock copy moved every saved activation once per
 * step. Sharing is safe because no tfjs kernel writes into its inputs.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { call, type TensorInfo, type Wasm } from './util.ts';

function identity(args: { inputs: { x: TensorInfo }; backend: Wasm }): TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (x.dtype === 'string') return call(backend, 'Identity', inputs);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};
