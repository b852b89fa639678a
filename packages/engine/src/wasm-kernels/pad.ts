/**
 * PadV2 for `wasm` with zeros, as one fill and strided row copies on the heap (./simd.ts
 * `heapMoves`). The stock kernel works out every output element's source index in C++: padding
 * [128, 5, 5, 16] to [128, 7, 7, 16] (a `padding: 1` convolution's zero border) took 4 ms of a
 * step for 100,000 floats. Here the output is zeroed in one `memory.fill`, then x goes in as runs of
 * the trailing axes without padding (./box-copy.ts). A non-zero constant, and the
 * dtypes the heap does not hold as numbers, go to the stock kernel.
 */
import { util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { byteStrides, copyBox } from './box-copy.ts';
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
  const inStrides = byteStrides(shape, element);
  const outStrides = byteStrides(outShape, element);
  // The first axis from which neither side is padded (the axes after it are whole in both).
  let whole = rank - 1;
  while (whole > 0 && paddings[whole][0] === 0 && paddings[whole][1] === 0) whole--;
  const interior = dst + paddings.reduce((offset, [before], axis) => offset + before * outStrides[axis], 0);
  copyBox(moves, shape, whole, backend.getMemoryOffset(x.dataId), inStrides, interior, outStrides);
  return out;
}

export const padV2Config: KernelConfig = {
  kernelName: 'PadV2',
  backendName: 'wasm',
  kernelFunc: pad as unknown as KernelFunc,
};
