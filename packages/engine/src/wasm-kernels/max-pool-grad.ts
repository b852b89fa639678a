/**
 * MaxPoolGrad for `wasm`: routes each output gradient to the first maximum of its window (the
 * tie rule of tfjs's cpu kernel, which matters after a ReLU where whole windows are 0).
 * The stock kernel recomputes every window position with scalar code; a single pass over the
 * windows reading the forward input from the heap costs a fraction of that; 2×2 windows with
 * stride 2 (the usual pooling) run as WebAssembly SIMD, four channels at a time.
 */
import { backend_util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { heapMoves, maxPool2Row, type HeapMoves, type MaxPool2Row } from './simd.ts';
import { defineTask, parallelFor } from './threads.ts';
import { call, f32, type TensorInfo, type Wasm } from './util.ts';

interface Attrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; backend: Wasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  if (input.dtype !== 'float32') return call(backend, 'MaxPoolGrad', inputs, attrs as unknown as Record<string, unknown>);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const simdRow = fh === 2 && fw === 2 && sh === 2 && sw === 2 && pt === 0 && pl === 0 && heapMoves(backend) ? maxPool2Row(backend, C) : null;
  const dx = backend.makeOutput(input.shape, 'float32');
  if (simdRow) {
    const plan: MaxPool2Plan = {
      H, W, C, OH, OW, x: backend.getMemoryOffset(input.dataId), dy: backend.getMemoryOffset(dy.dataId), dx: backend.getMemoryOffset(dx.dataId),
    };
    parallelFor(maxPool2Task, backend, plan, n);
    return dx;
  }
  const X = f32(backend, input);
  const DY = f32(backend, dy);
  const DX = f32(backend, dx);
  DX.fill(0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const y0 = Math.max(0, oy * sh - pt);
      const y1 = Math.min(H, oy * sh - pt + fh);
      for (let ox = 0; ox < OW; ox++) {
        const x0 = Math.max(0, ox * sw - pl);
        const x1 = Math.min(W, ox * sw - pl + fw);
        const o = ((b * OH + oy) * OW + ox) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let y = y0; y < y1; y++) {
            let i = ((b * H + y) * W + x0) * C + c;
            for (let x = x0; x < x1; x++, i += C) {
              const v = X[i];
              if (v > best) {
                best = v;
                at = i;
              }
            }
          }
          if (at >= 0) DX[at] += DY[o + c];
        }
      }
    }
  }
  return dx;
}

interface MaxPool2Plan {
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  x: number;
  dy: number;
  dx: number;
}

/** Images [from, to) of a 2×2/stride-2 max-pool gradient. */
const maxPool2Task = defineTask('maxPool2Grad', (_heap: Wasm, p: MaxPool2Plan, from: number, to: number, _part: number, tools: MaxPool2Tools) => {
  const { H, W, C, OH, OW } = p;
  const { row, moves } = tools;
  // Windows tile the input without overlap; rows/columns left over by an odd size get 0.
  moves.zero(p.dx + from * H * W * C * 4, (to - from) * H * W * C * 4);
  for (let b = from; b < to; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const inRow = ((b * H + 2 * oy) * W) * C * 4;
      row(p.x + inRow, p.dy + ((b * OH + oy) * OW) * C * 4, p.dx + inRow, OW, W * C * 4);
    }
  }
}, (heap, p) => ({ row: maxPool2Row(heap, p.C)!, moves: heapMoves(heap)! }));

interface MaxPool2Tools {
  row: MaxPool2Row;
  moves: HeapMoves;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
