/**
 * Small seeded PRNG (sfc32) whose state is derived from a list of integer keys, so independent
 * streams (shuffle of epoch e, augmentation of epoch e, validation split...) come from one seed
 * without any of them depending on how much another one consumed.
 */

/** murmur3's finalizer: spreads every input bit over the 32-bit result. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes integer keys into one 32-bit value (order matters). */
export function hashKeys(...keys: number[]): number {
  let h = 0x9e3779b9;
  for (const key of keys) {
    // Fold in numbers beyond 32 bits too, so a large seed is not silently truncated.
    const low = key >>> 0;
    const high = Math.floor(key / 0x1_0000_0000) >>> 0;
    h = mix32(h ^ low) ^ Math.imul(high, 0x27d4eb2d);
    h = mix32(h + 0x6b43a9b5);
  }
  return h >>> 0;
}

/** A function returning uniform floats in [0, 1), seeded by the given keys. */
export type Random = () => number;

export function seededRandom(...keys: number[]): Random {
  let a = hashKeys(1, ...keys);
  let b = hashKeys(2, ...keys);
  let c = hashKeys(3, ...keys);
  let d = 1;
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 0x1_0000_0000;
  };
  // sfc32 needs a few rounds before its output stops resembling the seed.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Fisher–Yates permutation of 0..n-1 drawn from `random`. */
export function shuffledIndices(n: number, random: Random): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
