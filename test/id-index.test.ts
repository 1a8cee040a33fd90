// IdIndex (filter's id → scores row join) against a JS Map holding the same ids.
import { describe, expect, it } from 'vitest';
import { IdIndex } from '../src/id-index.js';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Ids that a hash of the text alone, or of its numeric value, would confuse. */
const SPECIAL_IDS = [
  '',
  ' ',
  '42',
  '042',
  '0042',
  '4.2e1',
  'é', // U+00E9
  'e\u0301', // e + combining acute: the same glyph, other bytes
  '日本',
  '日本語',
  '\u{1F600}',
  '\0',
  'null',
  'undefined',
  'a'.repeat(100_000),
  'a'.repeat(100_001),
];

/** An id of one of several shapes, picked by n: repeated n give repeated ids. */
function shapedId(n: number): string {
  switch (n % 8) {
    case 0:
      return `brown-${String(n).padStart(6, '0')}-dup${n % 7}`;
    case 1:
      return String(n);
    case 2:
      return String(n).padStart(9, '0');
    case 3:
      return `日本-${n}`;
    case 4:
      return `e\u0301${n}`;
    case 5:
      return `é${n}`;
    case 6:
      return 'x'.repeat(200 + (n % 300)) + n;
    default:
      return `row ${n}/\t${n % 13}`;
  }
}

describe('IdIndex', () => {
  it('agrees with a Map on 200,000 adds of mixed ids (new, repeated) and on lookups, growing as it fills', () => {
    const next = random(7);
    const index = new IdIndex();
    const reference = new Map<string, number>();
    const bytesSeen = [index.bytes];
    const adds = 200_000;
    for (let row = 0; row < adds; row++) {
      // Every 1000th add is a special id (each comes round ~12 times); the rest repeat often (n < 150,000).
      const id = row % 1000 === 0 ? SPECIAL_IDS[(row / 1000) % SPECIAL_IDS.length] : shapedId(Math.floor(next() * 150_000));
      const expected = reference.has(id) ? reference.get(id)! : -1;
      if (expected === -1) reference.set(id, row);
      const got = index.add(id, row);
      if (got !== expected) expect({ id, row, got }).toEqual({ id, row, got: expected });
      if (index.bytes !== bytesSeen[bytesSeen.length - 1]) bytesSeen.push(index.bytes);
    }
    // Both kinds of add happened, in bulk.
    expect(reference.size).toBeGreaterThan(100_000);
    expect(reference.size).toBeLessThan(adds - 50_000);
    expect(index.size).toBe(reference.size);
    for (const id of SPECIAL_IDS) expect(reference.has(id)).toBe(true);

    for (const [id, row] of reference) {
      const got = index.get(id);
      if (got !== row) expect({ id, got }).toEqual({ id, got: row });
    }
    for (let i = 0; i < 10_000; i++) {
      const id = i % 2 === 0 ? `absent-${i}` : shapedId(150_000 + i);
      expect(reference.has(id)).toBe(false);
      const got = index.get(id);
      if (got !== -1) expect({ id, got }).toEqual({ id, got: -1 });
    }

    // Grew several times, each time doubling, and never past what the load needs (20 bytes a slot).
    expect(bytesSeen.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < bytesSeen.length; i++) expect(bytesSeen[i]).toBe(2 * bytesSeen[i - 1]);
    expect(index.bytes / 20).toBeLessThan((2 * reference.size) / 0.7);
  });

  it('round-trips rows at the limits and rejects rows out of range', () => {
    const index = new IdIndex();
    expect(index.add('first', 0)).toBe(-1);
    expect(index.add('last', 2 ** 32 - 2)).toBe(-1);
    expect(index.get('first')).toBe(0);
    expect(index.get('last')).toBe(2 ** 32 - 2);
    expect(index.add('first', 5)).toBe(0);
    expect(index.add('last', 5)).toBe(2 ** 32 - 2);
    expect(index.get('first')).toBe(0);

    for (const row of [-1, 2 ** 32 - 1, 1.5, Number.NaN]) {
      expect(() => index.add('other', row)).toThrow(RangeError);
    }
    expect(index.get('other')).toBe(-1);
    expect(index.size).toBe(2);
  });

  it('holds 1,000,000 ids in under 60 bytes each (a Map costs ~100)', () => {
    const index = new IdIndex();
    const count = 1_000_000;
    for (let row = 0; row < count; row++) index.add(`brown-${row}`, row);
    expect(index.size).toBe(count);
    expect(index.bytes / index.size).toBeLessThan(60);
    for (let row = 0; row < count; row += 9973) expect(index.get(`brown-${row}`)).toBe(row);
  }, 30_000);
});
