/**
 * Shared plumbing for the hand-written `wasm` kernels: zero-copy views of the wasm heap,
 * access to the stock kernels we delegate to, and scratch-tensor bookkeeping.
 *
 * Kernels here never wrap a TensorInfo into a Tensor: doing so hands ownership of the data to
 * the engine, which frees an input's buffer when the wrapper is disposed. Intermediates are
 * plain backend allocations released with `backend.disposeData`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type TensorInfo = tf.TensorInfo;
export type Wasm = BackendWasm;

/** A kernel function as the engine calls it. */
export type KernelFn = (args: {
  inputs: Record<string, TensorInfo>;
  backend: Wasm;
  attrs?: Record<string, unknown>;
}) => TensorInfo | TensorInfo[];

const stock = new Map<string, KernelFn>();

/**
 * The kernel tfjs-backend-wasm ships for `name`, captured before we replace it so that our
 * replacements can delegate the cases they do not speed up.
 */
export function stockKernel(name: string): KernelFn {
  let fn = stock.get(name);
  if (fn === undefined) {
    const cfg = tf.getKernel(name, 'wasm');
    if (cfg === undefined) throw new Error(`wasm backend has no stock kernel ${name}`);
    fn = cfg.kernelFunc as unknown as KernelFn;
    stock.set(name, fn);
  }
  return fn;
}

/** Remember the stock kernel (if any) so it can still be called after being unregistered. */
export function captureStock(name: string): void {
  if (!stock.has(name) && tf.getKernel(name, 'wasm') !== undefined) stockKernel(name);
}

/**
 * A Float32Array over the tensor's bytes on the wasm heap. Any later allocation may grow the
 * heap and detach this view, so take views only after all outputs are allocated.
 */
export function f32(backend: Wasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

export function call(backend: Wasm, name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo {
  return stockKernel(name)({ inputs, backend, attrs }) as TensorInfo;
}

export function dispose(backend: Wasm, ...ts: TensorInfo[]): void {
  for (const t of ts) backend.disposeData(t.dataId);
}

/**
 * Forward Conv2D through the stock XNNPACK kernel (not the engine's replacement) with explicit
 * padding, stride 1 and optional dilation.
 */
export function xnnConv(
  backend: Wasm,
  x: TensorInfo,
  filter: TensorInfo,
  pads: { top: number; bottom: number; left: number; right: number },
  dilations: [number, number] = [1, 1],
): TensorInfo {
  return call(backend, 'Conv2D', { x, filter }, {
    strides: [1, 1],
    dilations,
    pad: [[0, 0], [pads.top, pads.bottom], [pads.left, pads.right], [0, 0]],
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  });
}
