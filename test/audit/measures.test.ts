import { describe, expect, it } from 'vitest';
import { countLead, editSimilarity, levenshtein, measureMemorization } from '../../src/audit/measures.js';

const codes = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

describe('levenshtein (token level)', () => {
  it('matches textbook distances', () => {
    // classic worked examples: kitten→sitting 3, flaw→lawn 2, intention→execution 5, saturday→sunday 3
    expect(levenshtein(codes('kitten'), codes('sitting'))).toBe(3);
    expect(levenshtein(codes('flaw'), codes('lawn'))).toBe(2);
    expect(levenshtein(codes('intention'), codes('execution'))).toBe(5);
    expect(levenshtein(codes('saturday'), codes('sunday'))).toBe(3);
    expect(levenshtein([], [1, 2, 3])).toBe(3);
    expect(levenshtein([7, 8], [7, 8])).toBe(0);
  });
});

describe('measureMemorization', () => {
  const reference = Int32Array.from({ length: 50 }, (_, i) => 100 + i);

  it('verbatim copy: memorized, full lead and match', () => {
    const m = measureMemorization(reference, reference.slice());
    expect(m).toEqual({ memorized: true, lead: 50, match_fraction: 1, edit_similarity: 1, approx_memorized: true });
  });

  it('one wrong token at position 30: not memorized, lead 30, 49/50 right, approximately memorized', () => {
    const generated = reference.slice();
    generated[30] = 7;
    const m = measureMemorization(reference, generated);
    expect(m.memorized).toBe(false);
    expect(m.lead).toBe(30);
    expect(m.match_fraction).toBeCloseTo(49 / 50, 12);
    expect(m.edit_similarity).toBeCloseTo(1 - 1 / 50, 12);
    expect(m.approx_memorized).toBe(true);
  });

  it('a one-token shift: position match collapses but edit similarity stays high', () => {
    // generation skips reference token 10 and appends one extra at the end
    const generated = Int32Array.from([...reference.slice(0, 10), ...reference.slice(11), 999]);
    const m = measureMemorization(reference, generated);
    expect(m.lead).toBe(10);
    expect(m.match_fraction).toBeCloseTo(10 / 50, 12);
    expect(m.edit_similarity).toBeCloseTo(1 - 2 / 50, 12); // one deletion + one insertion
    expect(m.approx_memorized).toBe(true);
    expect(measureMemorization(reference, generated, 0.99).approx_memorized).toBe(false);
  });

  it('six substitutions fall below the default 0.9 threshold', () => {
    const generated = reference.slice();
    for (const t of [0, 9, 18, 27, 36, 45]) generated[t] = 1;
    const m = measureMemorization(reference, generated);
    expect(m.lead).toBe(0);
    expect(m.edit_similarity).toBeCloseTo(0.88, 12);
    expect(m.approx_memorized).toBe(false);
  });

  it('rejects a generation of the wrong length', () => {
    expect(() => measureMemorization(reference, reference.slice(0, 49))).toThrow(/49 tokens for a 50-token/);
  });

  it('countLead and editSimilarity on edge cases', () => {
    expect(countLead([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(editSimilarity([], [])).toBe(1);
    expect(editSimilarity([1, 2], [3, 4])).toBe(0);
  });
});
