/**
 * Direct SIMD convolution (NHWC input, HWIO filter) for `wasm`: the row kernel of ./simd.ts swept
 * over output rows. On the seed network it is 10–25 % faster than XNNPACK's, largely because it
 * needs no per-call packing of the (new every step) weights. Padding is materialized once, as a
 * copy of the input with zero borders, so the inner loop has no bounds checks.
 */
import { backend_util } from '@tensorflow/tfjs-core';
import { convRow, heapMoves, type ConvRow, type ConvShape, type HeapMoves } from './simd.ts';
import { defineTask, parallelFor } from './threads.ts';
import type { TensorInfo, Wasm } from './util.ts';
import { winogradConv } from './winograd.ts';

export interface DirectConvSpec {
  strideH: number;
  strideW: number;
  pads: { top: number; bottom: number; left: number; right: number };
  outH: number;
  outW: number;
  relu: boolean;
}

/** The spec for a forward convolution, or null for cases the direct kernel does not cover. */
export function specFromInfo(info: backend_util.Conv2DInfo, relu: boolean): DirectConvSpec | null {
  if (info.dataFormat !== 'channelsLast' || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const { top, bottom, left, right } = info.padInfo;
  // Trailing padding that the output actually reaches (SAME can ask for more than it uses).
  const needH = (info.outHeight - 1) * info.strideHeight + info.filterHeight;
  const needW = (info.outWidth - 1) * info.strideWidth + info.filterWidth;
  return {
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    pads: {
      top,
      left,
      bottom: Math.max(0, Math.min(bottom, needH - info.inHeight - top)),
      right: Math.max(0, Math.min(right, needW - info.inWidth - left)),
    },
    outH: info.outHeight,
    outW: info.outWidth,
    relu,
  };
}

/** Returns the output, or null when the shape is not one the SIMD kernel handles. */
export function directConv(backend: Wasm, x: TensorInfo, w: TensorInfo, bias: TensorInfo | null, spec: DirectConvSpec): TensorInfo | null {
  const [n, H, W, ci] = x.shape;
  const [fh, fw, wci, co] = w.shape;
  if (wci !== ci || x.dtype !== 'float32' || w.dtype !== 'float32') return null;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== co)) return null;
  const { top, bottom, left, right } = spec.pads;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) return null;
  const Hp = H + top + bottom;
  const Wp = W + left + right;
  if ((spec.outH - 1) * spec.strideH + fh > Hp || (spec.outW - 1) * spec.strideW + fw > Wp) return null;
  if (spec.strideH === 1 && spec.strideW === 1) {
    const fast = winogradConv(backend, x, w, bias, spec);
    if (fast) return fast;
  }
  const shape: ConvShape = { ci, co, fh, fw, sw: spec.strideW, relu: spec.relu, bias: bias !== null };
  if (!convRow(backend, shape) || !heapMoves(backend)) return null;
  const padded = top || bottom || left || right ? backend.makeOutput([n, Hp, Wp, ci], 'float32') : x;
  const out = backend.makeOutput([n, spec.outH, spec.outW, co], 'float32');
  const plan: DirectConvPlan = {
    shape, H, W, Hp, Wp, top, left, outH: spec.outH, outW: spec.outW, strideH: spec.strideH,
    xBase: backend.getMemoryOffset(x.dataId),
    paddedBase: padded === x ? 0 : backend.getMemoryOffset(padded.dataId),
    wBase: backend.getMemoryOffset(w.dataId),
    outBase: backend.getMemoryOffset(out.dataId),
    biasBase: bias ? backend.getMemoryOffset(bias.dataId) : 0,
  };
  parallelFor(directConvTask, backend, plan, n);
  if (padded !== x) backend.disposeData(padded.dataId);
  return out;
}

/** A direct convolution's pointers and sizes (bytes on the heap), for any thread to run images of. */
interface DirectConvPlan {
  shape: ConvShape;
  H: number;
  W: number;
  Hp: number;
  Wp: number;
  top: number;
  left: number;
  outH: number;
  outW: number;
  strideH: number;
  xBase: number;
  /** The zero-bordered copy of x, or 0 when the convolution has no padding and reads x itself. */
  paddedBase: number;
  wBase: number;
  outBase: number;
  biasBase: number;
}

/** Images [from, to): their zero-bordered copies, then every output row. */
const directConvTask = defineTask('directConv', (heap: Wasm, p: DirectConvPlan, from: number, to: number, _part: number, tools: DirectConvTools) => {
  const { row, moves } = tools;
  const { ci, co } = p.shape;
  if (p.paddedBase) {
    const rowBytes = p.W * ci * 4;
    const image = p.Hp * p.Wp * ci * 4;
    for (let b = from; b < to; b++) {
      const dst = p.paddedBase + b * image;
      moves.zero(dst, image);
      moves.copyRows(p.xBase + b * p.H * rowBytes, dst + (p.top * p.Wp + p.left) * ci * 4, p.H, rowBytes, p.Wp * ci * 4, rowBytes);
    }
  }
  const inBase = p.paddedBase || p.xBase;
  const inRow = p.Wp * ci * 4;
  for (let b = from; b < to; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      const inp = inBase + (b * p.Hp + oy * p.strideH) * inRow;
      const o = p.outBase + (b * p.outH + oy) * p.outW * co * 4;
      row(inp, p.wBase, o, p.outW, inRow, p.biasBase);
    }
  }
}, (heap, p) => ({ row: convRow(heap, p.shape)!, moves: heapMoves(heap)! }));

interface DirectConvTools {
  row: ConvRow;
  moves: HeapMoves;
}
