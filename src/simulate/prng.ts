/**
 * Deterministic randomness for the simulator: a 32-bit string hash for the seed, a mixer that derives independent
 * streams from integers, and mulberry32. Never Math.random: the same seed always gives the same stream.
 */

/** A uniform number in [0, 1). */
export type Rng = () => number;

/** FNV-1a over the UTF-16 code units of a string, finished with fmix32. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** The murmur3 finalizer: a bijective avalanche of 32 bits. */
export function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit seed for the stream named by `parts` (a seed hash, a stream label, indexes). */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Numbers past 32 bits (large lead indexes) contribute their high part too.
    h = fmix32(h ^ fmix32(part >>> 0) ^ Math.imul(Math.floor(part / 0x100000000), 0x27d4eb2d));
  }
  return h;
}

/** mulberry32: small, fast, and good enough for a simulation. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max]. */
export function between(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** One element of a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}
