// A row's place in a sample: a hash of (seed, key value), so membership depends on neither file
// order nor sharding, and anyone can recompute it (docs/pipelines.md gives the Python one-liner).
import { createHash } from 'node:crypto';

/** 48 bits: exact as a JS number, and ties between different values are ~2^-48 apart. */
export const HASH_BITS = 48;
const SPAN = 2 ** HASH_BITS;

export interface SampleKey {
  /** first 6 bytes of SHA-256(UTF-8 of `${seed}\0${value}`), big-endian */
  hash: number;
  /** the digest's other 26 bytes (hex): orders equal hashes, and keeps a key 32 bytes whatever the value's length */
  rest: string;
}

export function sampleKey(seed: number, value: string): SampleKey {
  const digest = createHash('sha256').update(`${seed}\0${value}`, 'utf8').digest();
  return { hash: digest.readUIntBE(0, 6), rest: digest.toString('hex', 6) };
}

/** Orders keys as their SHA-256 digests, byte by byte (rows sharing a value share a key). */
export function compareKeys(a: SampleKey, b: SampleKey): number {
  if (a.hash !== b.hash) return a.hash < b.hash ? -1 : 1;
  return a.rest < b.rest ? -1 : a.rest > b.rest ? 1 : 0;
}

/** A row is in a `fraction` sample when its hash is below this cut: P(in) = fraction. */
export function fractionCut(fraction: number): number {
  return Math.floor(fraction * SPAN);
}
