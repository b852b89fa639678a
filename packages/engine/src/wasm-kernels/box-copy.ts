/**
 * A box of a row-major tensor copied between two layouts on the heap, as Slice (a strided source, a
 * packed destination) and zero PadV2 (the other way round) need it. The axes from `whole` on are
 * whole in both layouts, so they are one contiguous run; the axis before them is one `copyRows` call
 * of strided runs; only the axes further out are counted through here, in JavaScript.
 */
import { util } from '@tensorflow/tfjs-core';
import type { HeapMoves } from './simd.ts';

/** A row-major layout's step per axis, in bytes, for elements of `element` bytes. */
export function byteStrides(shape: readonly number[], element: number): number[] {
  return [...util.computeStrides(shape as number[]), 1].map((stride) => stride * element);
}

/**
 * Copies the box of shape `box` from `src` to `dst`, whose layouts step by `srcStrides` and
 * `dstStrides` bytes per axis, where every axis after `whole` is whole in both.
 */
export function copyBox(moves: HeapMoves, box: readonly number[], whole: number, src: number, srcStrides: readonly number[], dst: number, dstStrides: readonly number[]): void {
  const runBytes = box[whole] * srcStrides[whole];
  if (whole === 0) {
    moves.copyRows(src, dst, 1, 0, 0, runBytes);
    return;
  }
  const rowAxis = whole - 1;
  const outer = box.slice(0, rowAxis);
  const blocks = outer.reduce((product, size) => product * size, 1);
  const index = new Array<number>(rowAxis).fill(0);
  for (let block = 0; block < blocks; block++) {
    let from = src;
    let to = dst;
    for (let a = 0; a < rowAxis; a++) {
      from += index[a] * srcStrides[a];
      to += index[a] * dstStrides[a];
    }
    moves.copyRows(from, to, box[rowAxis], srcStrides[rowAxis], dstStrides[rowAxis], runBytes);
    for (let a = rowAxis - 1; a >= 0; a--) {
      if (++index[a] < outer[a]) break;
      index[a] = 0;
    }
  }
}
