/**
 * Slice for `wasm` as strided row copies on the heap (./simd.ts `heapMoves`). The stock kernel
 * copies a strided slice one innermost row at a time through typed-array `set` calls: slicing
 * [128, 9, 9, 16] to [128, 7, 7, 16], the gradient of a padding layer, took 6,272 calls of 64
 * bytes and 5 ms of a step. Here the box is copied as runs of the trailing axes the slice takes
 * whole (./box-copy.ts).
 */
import { slice_util, util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { byteStrides, copyBox } from './box-copy.ts';
import { heapMoves } from './simd.ts';
import { call, type TensorInfo, type Wasm } from './util.ts';

interface Attrs {
  begin: number | number[];
  size: number | number[];
}

function slice(args: { inputs: { x: TensorInfo }; backend: Wasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const moves = x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0 ? null : heapMoves(backend);
  if (!moves) return call(backend, 'Slice', inputs, attrs as unknown as Record<string, unknown>);
  const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size);
  const out = backend.makeOutput(size, x.dtype);
  if (util.sizeFromShape(size) === 0) return out;
  const shape = x.shape;
  const element = util.bytesPerElement(x.dtype);
  const inStrides = byteStrides(shape, element);
  const outStrides = byteStrides(size, element);
  // The first axis from which the slice is contiguous in x (the axes after it are whole).
  let whole = shape.length - 1;
  while (whole > 0 && begin[whole] === 0 && size[whole] === shape[whole]) whole--;
  const src = backend.getMemoryOffset(x.dataId) + begin.reduce((offset, at, axis) => offset + at * inStrides[axis], 0);
  copyBox(moves, size, whole, src, inStrides, backend.getMemoryOffset(out.dataId), outStrides);
  return out;
}

export const sliceConfig: KernelConfig = {
  kernelName: 'Slice',
  backendName: 'wasm',
  kernelFunc: slice as unknown as KernelFunc,
};
