/**
 * Sum for `wasm` when the reduced axes are the leading ones (bias gradients: [N,H,W,C] → [C]).
 * The stock kernel first transposes the whole tensor so the reduced axes come last, then sums;
 * accumulating straight into per-channel float64 sums reads the data once (an even channel count
 * as WebAssembly SIMD, two float64 lanes at a time, ./simd.ts `columnSums`; an odd one in generated
 * JavaScript). Other reductions go to the stock kernel.
 */
import { backend_util, util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { columnSums } from './simd.ts';
import { defineTask, heapF32, parallelFor } from './threads.ts';
import { call, f32, type TensorInfo, type Wasm } from './util.ts';

/** Channels per generated loop body (and per kernel-thread item, see `blocksFor`). */
const BLOCK = 16;
type Loop = (X: Float32Array, size: number, out: Float32Array) => void;
const cache = new Map<string, Loop>();

/** Sums channels [c0, c0 + cb) of the rows of `inner` values into out[c0..], in float64 locals. */
function loop(inner: number, c0: number, cb: number): Loop {
  const key = `${inner}:${c0}:${cb}`;
  let fn = cache.get(key);
  if (fn) return fn;
  const ks = Array.from({ length: cb }, (_, k) => k);
  fn = new Function('X', 'size', 'out', `'use strict';
    ${ks.map((k) => `let a${k} = 0;`).join(' ')}
    for (let i = ${c0}; i < size; i += ${inner}) { ${ks.map((k) => `a${k} += X[i + ${k}];`).join(' ')} }
    ${ks.map((k) => `out[${c0 + k}] = a${k};`).join(' ')}`) as Loop;
  cache.set(key, fn);
  return fn;
}

/**
 * Blocks of at most BLOCK channels; the kernel threads share the blocks of a wider sum. A sum of 16
 * channels or fewer stays one block on one thread: it reads memory at the speed of one core, and
 * splitting it measured slower (the helper's wake-up and the tail cost more than the half it takes).
 * A channel's sum runs in the same order whatever block holds it, so the split does not change the
 * result.
 */
function blocksFor(inner: number): [number, number][] {
  const count = Math.max(Math.ceil(inner / BLOCK), 1);
  // Even widths where the channels are even, for the SIMD column sums' channel pairs.
  const width = inner % 2 === 0 ? 2 * Math.ceil(inner / count / 2) : Math.ceil(inner / count);
  const blocks: [number, number][] = [];
  for (let c0 = 0; c0 < inner; c0 += width) blocks.push([c0, Math.min(width, inner - c0)]);
  return blocks;
}

interface SumPlan {
  x: number;
  size: number;
  inner: number;
  out: number;
  blocks: [number, number][];
}

const sumTask = defineTask('sumLeading', (heap: Wasm, p: SumPlan, from: number, to: number) => {
  if (p.inner % 2 === 0) {
    const rows = p.size / p.inner;
    for (let k = from; k < to; k++) {
      const [c0, cb] = p.blocks[k];
      columnSums(heap, 4 * p.inner, cb)!(p.x + 4 * c0, rows, p.out + 4 * c0);
    }
    return;
  }
  const mem = heapF32(heap);
  const X = mem.subarray(p.x / 4, p.x / 4 + p.size);
  const out = mem.subarray(p.out / 4, p.out / 4 + p.inner);
  for (let k = from; k < to; k++) loop(p.inner, ...p.blocks[k])(X, p.size, out);
});

function sum(args: { inputs: { x: TensorInfo }; backend: Wasm; attrs: { axis: number | number[]; keepDims: boolean } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const leading = axes.every((a, i) => a === i);
  const inner = util.sizeFromShape(x.shape.slice(axes.length));
  if (x.dtype !== 'float32' || !leading || axes.length === 0 || inner > 256) {
    return call(backend, 'Sum', inputs, attrs as unknown as Record<string, unknown>);
  }
  const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const shape = attrs.keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
  const out = backend.makeOutput(shape, 'float32');
  const size = util.sizeFromShape(x.shape);
  if (size === 0) {
    f32(backend, out).fill(0);
    return out;
  }
  const blocks = blocksFor(inner);
  // Built before the views and pointers of the call are taken (building may grow the heap).
  if (inner % 2 === 0) for (const [, cb] of blocks) columnSums(backend, 4 * inner, cb);
  const plan: SumPlan = { x: backend.getMemoryOffset(x.dataId), size, inner, out: backend.getMemoryOffset(out.dataId), blocks };
  parallelFor(sumTask, backend, plan, blocks.length);
  return out;
}

export const sumConfig: KernelConfig = {
  kernelName: 'Sum',
  backendName: 'wasm',
  kernelFunc: sum as unknown as KernelFunc,
};
