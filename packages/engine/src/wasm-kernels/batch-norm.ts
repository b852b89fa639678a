/**
 * FusedBatchNorm (tf.batchNorm: inference-mode batch norm on running statistics) for `wasm`, as
 * WebAssembly SIMD over the channels, on every kernel thread. The stock kernel is a scalar loop
 * with a division and four wrap-around counters per element: evaluating the seed network on the
 * test set spent more time in it than in the convolutions. Each element is
 * offset + ((x − mean) · scale) / factor with factor = √(variance + ε), every operation rounded to
 * float32 in that order (the order of the stock kernel's C source); the stock binary's results
 * differ from it in the last bit for about a quarter of the elements where there is an offset, so
 * this kernel is held to cpu's results within float32 tolerance, and to that formula exactly.
 * Per-channel parameters over the last axis only; anything else goes to the stock kernel.
 */
import { util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { simdLoops, type SimdLoops } from './simd.ts';
import { defineTask, parallelFor } from './threads.ts';
import { call, f32, type TensorInfo, type Wasm } from './util.ts';

type Inputs = { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo };

/** Pixels per item when the kernel threads share the work. */
const CHUNK_PIXELS = 2048;

interface InferPlan {
  channels: number;
  pixels: number;
  x: number;
  y: number;
  /** mean, scale, factor and offset, `channels` floats each, one after another. */
  params: number;
}

const inferTask = defineTask('batchNormInfer', (_heap: Wasm, p: InferPlan, first: number, last: number, _part: number, loops: SimdLoops) => {
  const from = first * CHUNK_PIXELS;
  const to = Math.min(p.pixels, last * CHUNK_PIXELS);
  const bytes = 4 * p.channels;
  const param = (k: number) => p.params + k * bytes;
  loops.infer(p.x + from * bytes, p.y + from * bytes, to - from, param(0), param(1), param(2), param(3));
}, (heap, p) => simdLoops(heap, p.channels, false)!);

function fusedBatchNorm(args: { inputs: Inputs; backend: Wasm; attrs: { varianceEpsilon: number } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, mean, variance, offset, scale } = inputs;
  const channels = x.shape[x.shape.length - 1] ?? 0;
  const perChannel = (t: TensorInfo | undefined) => t === undefined || (t.dtype === 'float32' && util.sizeFromShape(t.shape) === channels);
  const fits = x.dtype === 'float32' && x.shape.length > 0 && [mean, variance, offset, scale].every(perChannel);
  if (!fits || !simdLoops(backend, channels, false)) {
    return call(backend, 'FusedBatchNorm', inputs as unknown as Record<string, TensorInfo>, attrs as unknown as Record<string, unknown>);
  }
  const out = backend.makeOutput(x.shape, 'float32');
  const pixels = util.sizeFromShape(x.shape) / channels;
  if (pixels === 0) return out;
  const params = backend.makeOutput([4 * channels], 'float32');
  const all = f32(backend, params);
  const epsilon = Math.fround(attrs.varianceEpsilon);
  const v = f32(backend, variance);
  all.set(f32(backend, mean), 0);
  if (scale) all.set(f32(backend, scale), channels);
  else all.fill(1, channels, 2 * channels);
  for (let c = 0; c < channels; c++) all[2 * channels + c] = Math.sqrt(Math.fround(v[c] + epsilon));
  if (offset) all.set(f32(backend, offset), 3 * channels);
  else all.fill(0, 3 * channels, 4 * channels);
  const plan: InferPlan = {
    channels, pixels,
    x: backend.getMemoryOffset(x.dataId), y: backend.getMemoryOffset(out.dataId), params: backend.getMemoryOffset(params.dataId),
  };
  parallelFor(inferTask, backend, plan, Math.ceil(pixels / CHUNK_PIXELS));
  backend.disposeData(params.dataId);
  return out;
}

export const fusedBatchNormConfig: KernelConfig = {
  kernelName: 'FusedBatchNorm',
  backendName: 'wasm',
  kernelFunc: fusedBatchNorm as unknown as KernelFunc,
};
