// Seeded PRNG for the sampling protocol. Hand-written because the result must be reproducible
// across platforms and Node versions (Math.random cannot be seeded): mulberry32 (Tommy Ettinger,
// public domain), a 32-bit generator with period 2^32, ample for drawing samples and splits.

/** Uniform random numbers from one seeded stream. */
export interface Rng {
  /** uniform in [0, 1), 32 bits of randomness */
  next(): number;
  /** uniform integer in [0, n) */
  int(n: number): number;
}

/**
 * The stream `stream` of `seed`: every (seed, stream) pair is an independent, reproducible sequence,
 * so trial k draws the same sample whether 20 or 100 trials run.
 */
export function createRng(seed: number, stream = 0): Rng {
  // splitmix32-style mixing of (seed, stream) into the 32-bit state, so nearby seeds diverge at once
  let state = mix32(mix32(seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9));
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Fisher–Yates shuffle in place. */
export function shuffle(values: Int32Array, rng: Rng): Int32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
  return values;
}

/** `k` distinct elements of `values`, drawn without replacement (partial Fisher–Yates on a copy), in draw order. */
export function sampleWithoutReplacement(values: Int32Array, k: number, rng: Rng): Int32Array {
  const pool = values.slice();
  const n = pool.length;
  if (k > n) throw new RangeError(`cannot draw ${k} of ${n}`);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return pool.subarray(0, k);
}
