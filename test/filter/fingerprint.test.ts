// The multiset fingerprint against BigInt arithmetic, and its order/duplicate behaviour.
import { createHash } from 'node:crypto';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { addFingerprints, MultisetHash, RowHasher, rowDigest } from '../../src/filter/fingerprint.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

describe('MultisetHash', () => {
  it('is the sum of the digests mod 2^256, computed independently with BigInt', () => {
    const digests = Array.from({ length: 1000 }, (_, i) => digest(`row ${i}`));
    const h = new MultisetHash();
    for (const d of digests) h.add(d);
    const expected = digests.reduce((sum, d) => (sum + BigInt('0x' + d.toString('hex'))) % 2n ** 256n, 0n);
    expect(h.hex()).toBe(expected.toString(16).padStart(64, '0'));
  });

  it('ignores order, counts a duplicate (where xor would cancel it), and adds across parts', () => {
    const a = new MultisetHash();
    const b = new MultisetHash();
    ['x', 'y', 'z'].forEach((s) => a.add(digest(s)));
    ['z', 'x', 'y'].forEach((s) => b.add(digest(s)));
    expect(a.hex()).toBe(b.hex());
    const withDuplicate = new MultisetHash();
    ['x', 'y', 'z', 'y', 'y'].forEach((s) => withDuplicate.add(digest(s)));
    expect(withDuplicate.hex()).not.toBe(a.hex());
    const part1 = new MultisetHash();
    const part2 = new MultisetHash();
    part1.add(digest('x'));
    ['y', 'z'].forEach((s) => part2.add(digest(s)));
    expect(addFingerprints(part1.hex(), part2.hex())).toBe(a.hex());
  });
});

describe('row encoding (docs/filter.md)', () => {
  it('hashes the documented bytes, treats int32/int64/integral floats alike and nulls distinctly', () => {
    // string "ab", int 7, float 0.5, null, true
    const bytes = Buffer.concat([
      Buffer.from([5, 2, 0, 0, 0, 0x61, 0x62]),
      Buffer.from([3, 1, 0, 0, 0, 0x37]),
      (() => { const b = Buffer.alloc(9); b[0] = 4; b.writeDoubleLE(0.5, 1); return b; })(),
      Buffer.from([0, 2]),
    ]);
    expect(rowDigest(['ab', 7, 0.5, null, true])).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(rowDigest(['ab', 7n])).toBe(rowDigest(['ab', 7]));
    expect(rowDigest(['ab', null])).not.toBe(rowDigest(['ab', '']));
    // column boundaries are length-prefixed: ("a","bc") and ("ab","c") differ
    expect(rowDigest(['a', 'bc'])).not.toBe(rowDigest(['ab', 'c']));
  });

  it('RowHasher reads Arrow batches to the same digests', () => {
    const table = tableFromArrays({ id: ['r1', 'r2'], n: new Int32Array([3, 4]), x: new Float64Array([0.25, 1.5]) });
    const digests = new RowHasher(['id', 'n', 'x']).digests(table, 'test');
    expect(digests.map((d) => d.toString('hex'))).toEqual([rowDigest(['r1', 3, 0.25]), rowDigest(['r2', 4, 1.5])]);
  });
});
