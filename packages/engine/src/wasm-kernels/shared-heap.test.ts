import { describe, expect, it } from 'vitest';
import { isShared, loadWithSharedHeap, shareMemory } from './shared-heap.ts';

/** A module with one memory section (and a type section before it, so the scan has to skip one). */
function moduleWithMemory(limits: number[]): Uint8Array<ArrayBuffer> {
  const type = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00]; // one type: () → ()
  const memory = [0x05, limits.length + 1, 0x01, ...limits];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...memory]);
}

describe('shareMemory', () => {
  it("marks a module's one memory with a maximum as shared, and nothing else", () => {
    const plain = moduleWithMemory([0x01, 0x01, 0x04]); // min 1, max 4 pages
    const shared = shareMemory(plain)!;
    expect(shared).not.toBeNull();
    expect([...shared].filter((b, i) => b !== plain[i])).toEqual([0x03]);
    expect(plain[plain.length - 3]).toBe(0x01); // the input is left as it was
    expect(WebAssembly.validate(shared)).toBe(true);
  });

  it('leaves alone a memory without a maximum, a module without a memory, and what is not wasm', () => {
    expect(shareMemory(moduleWithMemory([0x00, 0x01]))).toBeNull();
    expect(shareMemory(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]))).toBeNull();
    expect(shareMemory(new TextEncoder().encode('not a wasm module'))).toBeNull();
  });
});

describe('loadWithSharedHeap', () => {
  it('instantiates binaries with a shared heap while the loader runs, and restores WebAssembly.instantiate after it throws', async () => {
    const original = WebAssembly.instantiate;
    // A module that exports its memory: (memory (export "m") 1 4)
    const exporting = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x04, 0x01, 0x01, 0x01, 0x04, 0x07, 0x05, 0x01, 0x01, 0x6d, 0x02, 0x00]);
    const memory = await loadWithSharedHeap(async () => {
      const { instance } = await WebAssembly.instantiate(exporting);
      return instance.exports.m as WebAssembly.Memory;
    });
    expect(isShared(memory)).toBe(true);
    expect(WebAssembly.instantiate).toBe(original);
    await expect(loadWithSharedHeap(async () => {
      throw new Error('load failed');
    })).rejects.toThrow('load failed');
    expect(WebAssembly.instantiate).toBe(original);
    const { instance } = await WebAssembly.instantiate(exporting);
    expect(isShared(instance.exports.m as WebAssembly.Memory)).toBe(false);
  });
});
