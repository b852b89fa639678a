/**
 * Slice for `wasm` as strided row copies on the heap (./simd.ts `heapMoves`). The stock kernel
 * copies a strided slice one innermost row at a time through typed-array `set` calls: slicing
 * [128, 9, 9, 16] to [128, 7, 7, 16], the gradient of a padding layer, took 6,272 calls of 64
 * bytes and 5 ms of a step. Here the trailing axes the slice takes whole make one contiguous run,
 * and the axis before them is one `copyRows` call; only the axes further out loop in JavaScript.
 */
import { slice_util, util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
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
  const rank = shape.length;
  const element = util.bytesPerElement(x.dtype);
  const strides = [...util.computeStrides(shape), 1];
  // Axis k: the first from which the slice is contiguous in x (the axes after it are whole).
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const runBytes = size[k] * strides[k] * element;
  const src = backend.getMemoryOffset(x.dataId) + begin[k] * strides[k] * element;
  const dst = backend.getMemoryOffset(out.dataId);
  if (k === 0) {
    moves.copyRows(src, dst, 1, 0, 0, runBytes);
    return out;
  }
  // Axis k − 1 is one call's rows; the axes before it are counted through by `index`.
  const rowAxis = k - 1;
  const rowStride = strides[rowAxis] * element;
  const outer = size.slice(0, rowAxis);
  const blocks = util.sizeFromShape(outer);
  const index = new Array<number>(rowAxis).fill(0);
  for (let block = 0; block < blocks; block++) {
    let offset = begin[rowAxis] * rowStride;
    for (let a = 0; a < rowAxis; a++) offset += (begin[a] + index[a]) * strides[a] * element;
    moves.copyRows(src + offset, dst + block * size[rowAxis] * runBytes, size[rowAxis], rowStride, runBytes, runBytes);
    for (let a = rowAxis - 1; a >= 0; a--) {
      if (++index[a] < outer[a]) break;
      index[a] = 0;
    }
  }
  return out;
}

export const sliceConfig: KernelConfig = {
  kernelName: 'Slice',
  backendName: 'wasm',
  kernelFunc: slice as unknown as KernelFunc,
};
