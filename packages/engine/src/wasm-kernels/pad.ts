/**
 * PadV2 for `wasm` with zeros, as one fill and strided row copies on the heap (./simd.ts
 * `heapMoves`). The stock kernel works out every output element's source index in C++: padding
 * [128, 5, 5, 16] to [128, 7, 7, 16] (a `padding: 1` convolution's zero border) took 4 ms of a
 * step for 100,000 floats. Here the output is zeroed in one `memory.fill`, then x goes in as rows:
 * the trailing axes without padding make one contiguous run of x, the axis before them is one
 * `copyRows` call, and only the axes further out loop in JavaScript. A non-zero constant, and the
 * dtypes the heap does not hold as numbers, go to the stock kernel.
 */
import { util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { heapMoves } from './simd.ts';
import { call, type TensorInfo, type Wasm } from './util.ts';

interface Attrs {
  paddings: Array<[number, number]>;
  constantValue: number;
}

function pad(args: { inputs: { x: TensorInfo }; backend: Wasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const { paddings, constantValue } = attrs;
  const plain = constantValue === 0 && x.dtype !== 'string' && x.dtype !== 'complex64' && x.shape.length > 0 && paddings.every(([before, after]) => before >= 0 && after >= 0);
  const moves = plain ? heapMoves(backend) : null;
  if (!moves) return call(backend, 'PadV2', inputs, attrs as unknown as Record<string, unknown>);
  const shape = x.shape;
  const rank = shape.length;
  const outShape = shape.map((size, axis) => paddings[axis][0] + size + paddings[axis][1]);
  const out = backend.makeOutput(outShape, x.dtype);
  const element = util.bytesPerElement(x.dtype);
  const dst = backend.getMemoryOffset(out.dataId);
  moves.zero(dst, util.sizeFromShape(outShape) * element);
  if (util.sizeFromShape(shape) === 0) return out;
  const src = backend.getMemoryOffset(x.dataId);
  const inStrides = [...util.computeStrides(shape), 1];
  const outStrides = [...util.computeStrides(outShape), 1];
  // Axis k: the first from which neither side is padded (the axes after it are whole in both).
  let k = rank - 1;
  while (k > 0 && paddings[k][0] === 0 && paddings[k][1] === 0) k--;
  const runBytes = shape[k] * inStrides[k] * element;
  const lead = (axis: number): number => paddings[axis][0] * outStrides[axis] * element;
  if (k === 0) {
    moves.copyRows(src, dst + lead(0), 1, 0, 0, runBytes);
    return out;
  }
  // Axis k − 1 is one call's rows; the axes before it are counted through by `index`.
  const rowAxis = k - 1;
  const inRow = inStrides[rowAxis] * element;
  const outRow = outStrides[rowAxis] * element;
  const outer = shape.slice(0, rowAxis);
  const blocks = util.sizeFromShape(outer);
  const index = new Array<number>(rowAxis).fill(0);
  for (let block = 0; block < blocks; block++) {
    let offset = lead(rowAxis) + lead(k);
    for (let a = 0; a < rowAxis; a++) offset += (paddings[a][0] + index[a]) * outStrides[a] * element;
    moves.copyRows(src + block * shape[rowAxis] * inRow, dst + offset, shape[rowAxis], inRow, outRow, runBytes);
    for (let a = rowAxis - 1; a >= 0; a--) {
      if (++index[a] < outer[a]) break;
      index[a] = 0;
    }
  }
  return out;
}

export const padV2Config: KernelConfig = {
  kernelName: 'PadV2',
  backendName: 'wasm',
  kernelFunc: pad as unknown as KernelFunc,
};
