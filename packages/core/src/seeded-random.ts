/**
 * A small seeded generator for a random search's draws: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator, which passes PractRand), its state derived from integer keys through murmur3's
 * finalizer, so independent streams (one per sampled path) come from one seed.
 *
 * Why not a library: a seed names a set of trials, so the exact sequence is part of what a spec means
 * and must not move with a dependency's upgrade; seedrandom has had no release since 2019 and is
 * CommonJS; pure-rand would be a new dependency for twenty lines. @xp/data has the same generator,
 * but core cannot depend on data (it brings TensorFlow.js).
 */

/** Uniform floats in [0, 1). */
export type RandomSource = () => number;

/** A generator seeded by the given keys (order matters): the same keys, the same sequence. */
export function seededRandom(...keys: number[]): RandomSource {
  let a = hashKeys(1, ...keys);
  let b = hashKeys(2, ...keys);
  let c = hashKeys(3, ...keys);
  let d = 1;
  const next = (): number => {
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 0x1_0000_0000;
  };
  // sfc32's first outputs still resemble its seed.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A text as a 32-bit key (FNV-1a over its UTF-16 code units), e.g. a sampled path. */
export function textKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3's finalizer: spreads every input bit over the 32-bit result. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashKeys(...keys: number[]): number {
  let h = 0x9e3779b9;
  for (const key of keys) {
    // Fold in the bits above 32 too, so a large seed is not silently truncated.
    const low = key >>> 0;
    const high = Math.floor(key / 0x1_0000_0000) >>> 0;
    h = mix32(h ^ low) ^ Math.imul(high, 0x27d4eb2d);
    h = mix32(h + 0x6b43a9b5);
  }
  return h >>> 0;
}
