import { describe, expect, it } from 'vitest';
import { randn } from '../test-util.ts';
import { heapMoves } from './simd.ts';

/** A stand-in for the backend: heapMoves only needs the heap, shared (kernel threads) or not. */
const onHeap = (shared: boolean) => {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared } as WebAssembly.MemoryDescriptor);
  return { memory, moves: heapMoves({ wasm: { asm: { memory } } } as never)!, f32: new Float32Array(memory.buffer) };
};

describe('heapMoves', () => {
  for (const shared of [false, true]) {
    it(`addInto rounds each sum as float32 addition does (${shared ? 'shared' : 'unshared'} heap)`, () => {
      const { moves, f32 } = onHeap(shared);
      const a = randn(1024, 1);
      const b = randn(1024, 2).map((v) => v * 1e-3);
      f32.set(a, 0);
      f32.set(b, 4096);
      moves.addInto(0, 4096 * 4, 256);
      const want = new Float32Array(1024);
      for (let k = 0; k < 1024; k++) want[k] = Math.fround(a[k] + b[k]);
      expect(Array.from(f32.subarray(0, 1024))).toEqual(Array.from(want));
      expect(f32[1024]).toBe(0);
    });

    it(`copyRows and zero touch exactly their bytes (${shared ? 'shared' : 'unshared'} heap)`, () => {
      const { moves, f32 } = onHeap(shared);
      f32.set(randn(100, 3), 0);
      f32.fill(-1, 1000, 1100);
      // Three rows of 5 floats, 10 apart in the source and 20 apart in the destination.
      moves.copyRows(0, 1000 * 4, 3, 40, 80, 20);
      for (let r = 0; r < 3; r++) {
        expect(Array.from(f32.subarray(1000 + 20 * r, 1005 + 20 * r))).toEqual(Array.from(f32.subarray(10 * r, 10 * r + 5)));
        expect(f32[1005 + 20 * r]).toBe(-1);
      }
      moves.zero(1001 * 4, 8);
      expect([f32[1000], f32[1001], f32[1002], f32[1003]]).toEqual([f32[0], 0, 0, f32[3]]);
    });
  }
});
