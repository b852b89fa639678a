/**
 * Conv2D and FusedConv2D for `wasm` through the direct SIMD convolution (./conv-direct.ts) when
 * it applies (NHWC, no dilation, output channels in groups that are multiples of 4, no or ReLU
 * activation, no PReLU); every other case goes to the stock XNNPACK kernels.
 */
import { backend_util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { directConv, specFromInfo } from './conv-direct.ts';
import { call, type TensorInfo, type Wasm } from './util.ts';

interface Attrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
}

type Inputs = { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };

function run(kernel: 'Conv2D' | 'FusedConv2D', args: { inputs: Inputs; backend: Wasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const activation = attrs.activation ?? 'linear';
  if ((activation === 'linear' || activation === 'relu') && !inputs.preluActivationWeights) {
    const info = backend_util.computeConv2DInfo(
      inputs.x.shape as [number, number, number, number], inputs.filter.shape as [number, number, number, number],
      attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false,
      backend_util.convertConv2DDataFormat(attrs.dataFormat));
    const spec = specFromInfo(info, activation === 'relu');
    const out = spec && directConv(backend, inputs.x, inputs.filter, inputs.bias ?? null, spec);
    if (out) return out;
  }
  return call(backend, kernel, inputs as unknown as Record<string, TensorInfo>, attrs as unknown as Record<string, unknown>);
}

export const conv2DConfig: KernelConfig = {
  kernelName: 'Conv2D',
  backendName: 'wasm',
  kernelFunc: ((args: { inputs: Inputs; backend: Wasm; attrs: Attrs }) => run('Conv2D', args)) as unknown as KernelFunc,
};

export const fusedConv2DConfig: KernelConfig = {
  kernelName: 'FusedConv2D',
  backendName: 'wasm',
  kernelFunc: ((args: { inputs: Inputs; backend: Wasm; attrs: Attrs }) => run('FusedConv2D', args)) as unknown as KernelFunc,
};
