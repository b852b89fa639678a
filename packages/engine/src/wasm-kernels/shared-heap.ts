/**
 * tfjs-backend-wasm's heap as a *shared* WebAssembly.Memory, so that helper threads can run the
 * engine's kernels on the same tensors (./threads.ts). The non-threaded build defines its memory
 * as unshared (limits flag 0x01: min and max); flipping the flag to 0x03 (shared, min and max) is
 * the only change, and a valid one: the module has no instruction that depends on it. Emscripten's
 * glue then sees a SharedArrayBuffer behind its heap views, which typed arrays take as they are,
 * and growth still goes through `memory.grow`.
 *
 * The patch applies to binaries instantiated while `loadWithSharedHeap`'s loader runs, and only to
 * one that defines a single memory with a maximum (Emscripten's heap); everything else passes
 * through untouched.
 */
const MEMORY_SECTION = 5;
const LIMITS_MIN_MAX = 0x01;
const LIMITS_SHARED = 0x03;

function readUleb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

/**
 * A copy of the binary with its one memory marked shared, or null when it has no memory section
 * of exactly one memory with a maximum (a shared memory must have one).
 */
export function shareMemory(binary: Uint8Array): Uint8Array<ArrayBuffer> | null {
  if (binary.length < 8 || binary[0] !== 0x00 || binary[1] !== 0x61 || binary[2] !== 0x73 || binary[3] !== 0x6d) return null;
  let at = 8;
  while (at < binary.length) {
    const id = binary[at];
    const [size, body] = readUleb(binary, at + 1);
    if (id === MEMORY_SECTION) {
      const [count, entry] = readUleb(binary, body);
      if (count !== 1 || binary[entry] !== LIMITS_MIN_MAX) return null;
      const copy = new Uint8Array(binary);
      copy[entry] = LIMITS_SHARED;
      return copy;
    }
    at = body + size;
  }
  return null;
}

/**
 * Runs `load` (which instantiates tfjs-backend-wasm) with WebAssembly.instantiate patched to share
 * the heap of the binaries it compiles. Restored afterwards, whatever happens.
 */
export async function loadWithSharedHeap<T>(load: () => Promise<T>): Promise<T> {
  const original = WebAssembly.instantiate;
  const patched = (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    if (!(source instanceof WebAssembly.Module)) {
      const bytes = ArrayBuffer.isView(source)
        ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
        : new Uint8Array(source);
      const shared = shareMemory(bytes);
      if (shared) return original.call(WebAssembly, shared, imports);
    }
    return original.call(WebAssembly, source as BufferSource, imports);
  };
  (WebAssembly as { instantiate: unknown }).instantiate = patched;
  try {
    return await load();
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = original;
  }
}

/** The backend's heap, where it exposes one. */
export function heapMemory(backend: { wasm: unknown }): WebAssembly.Memory | null {
  const memory = (backend.wasm as { asm?: { memory?: unknown } }).asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}
