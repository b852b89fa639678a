/**
 * Sum for `wasm` when the reduced axes are the leading ones (bias gradients: [N,H,W,C] → [C]).
 * The stock kernel first transposes the whole tensor so the reduced axes come last, then sums;
 * accumulating straight into per-channel locals reads the data once. Other reductions go to the
 * stock kernel.
 */
import { backend_util, util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { call, f32, type TensorInfo, type Wasm } from './util.ts';

const BLOCK = 16;
type Loop = (X: Float32Array, size: number, out: Float64Array) => void;
const cache = new Map<number, Loop>();

function loop(inner: number): Loop {
  let fn = cache.get(inner);
  if (fn) return fn;
  const parts: string[] = [];
  for (let c0 = 0; c0 < inner; c0 += BLOCK) {
    const cb = Math.min(BLOCK, inner - c0);
    const ks = Array.from({ length: cb }, (_, k) => k);
    parts.push(`{
      ${ks.map((k) => `let a${k} = 0;`).join(' ')}
      for (let i = ${c0}; i < size; i += ${inner}) { ${ks.map((k) => `a${k} += X[i + ${k}];`).join(' ')} }
      ${ks.map((k) => `out[${c0 + k}] = a${k};`).join(' ')}
    }`);
  }
  fn = new Function('X', 'size', 'out', `'use strict';\n${parts.join('\n')}`) as Loop;
  cache.set(inner, fn);
  return fn;
}

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
  const acc = new Float64Array(inner);
  const size = util.sizeFromShape(x.shape);
  if (size > 0) loop(inner)(f32(backend, x), size, acc);
  f32(backend, out).set(acc);
  return out;
}

export const sumConfig: KernelConfig = {
  kernelName: 'Sum',
  backendName: 'wasm',
  kernelFunc: sum as unknown as KernelFunc,
};
