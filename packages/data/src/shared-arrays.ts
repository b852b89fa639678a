/**
 * Arrays in shared memory: a loaded dataset's images and labels live in them, so that a batch loader
 * thread (./prefetch.ts) reads them where they are instead of receiving a copy of the whole set.
 */

/** A zeroed Float32Array of `length` in shared memory. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

/** A copy of `values` in shared memory (or a zeroed one of `values` elements). */
export function sharedUint8(values: ArrayLike<number> | number): Uint8Array {
  const length = typeof values === 'number' ? values : values.length;
  const out = new Uint8Array(new SharedArrayBuffer(length));
  if (typeof values !== 'number') out.set(values);
  return out;
}
