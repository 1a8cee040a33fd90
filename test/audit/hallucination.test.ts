// Oscillation (Raunak et al. 2021's top n-gram count) and loop share on constructed token sequences,
// every expected value counted by hand in the comment beside it.
import { describe, expect, it } from 'vitest';
import { loopShare, measureOscillation, topNgramCount } from '../../src/audit/hallucination.js';

describe('topNgramCount', () => {
  it('counts overlapping occurrences of the most frequent n-gram', () => {
    // bigrams: (1,2) (2,1) (1,2) (2,1) (1,2) → (1,2) three times
    expect(topNgramCount([1, 2, 1, 2, 1, 2])).toBe(3);
    // a run of five 7s: bigram (7,7) at positions 0..3 → 4
    expect(topNgramCount([7, 7, 7, 7, 7])).toBe(4);
    // all bigrams distinct → 1; trigrams of [1 2 3 1 2 3 1 2]: (1,2,3) twice, (2,3,1) twice, (3,1,2) twice → 2
    expect(topNgramCount([1, 2, 3, 4, 5])).toBe(1);
    expect(topNgramCount([1, 2, 3, 1, 2, 3, 1, 2], 3)).toBe(2);
    // unigrams: 3 occurs three times
    expect(topNgramCount([3, 1, 3, 2, 3], 1)).toBe(3);
  });

  it('is 0 for a sequence shorter than n, and keeps tokens that concatenate alike apart', () => {
    expect(topNgramCount([5])).toBe(0);
    expect(topNgramCount([])).toBe(0);
    // (1,23) and (12,3) are different bigrams
    expect(topNgramCount([1, 23, 12, 3, 1, 23])).toBe(2);
    expect(() => topNgramCount([1, 2], 0)).toThrow(/positive integer/);
  });
});

describe('loopShare', () => {
  it('is the share of the longest periodic tail spanning two periods or more', () => {
    // x y a b a b a: period 2 covers "a b a b a" = 5 of 7
    expect(loopShare([9, 8, 1, 2, 1, 2, 1])).toBeCloseTo(5 / 7, 12);
    // all one token: period 1 covers all 6
    expect(loopShare([4, 4, 4, 4, 4, 4])).toBe(1);
    // 1 2 3 | 5 6 7 5 6 7 5 6 7: period 3 covers 9 of 12
    expect(loopShare([1, 2, 3, 5, 6, 7, 5, 6, 7, 5, 6, 7])).toBeCloseTo(9 / 12, 12);
    // period 3 but only one and a half periods (5 6 7 5 6): 5 < 6, so no loop
    expect(loopShare([1, 2, 3, 4, 5, 6, 7, 5, 6])).toBe(0);
  });

  it('is 0 for text without a repeated tail, and for a loop only in the middle', () => {
    expect(loopShare([1, 2, 3, 4, 5])).toBe(0);
    expect(loopShare([1])).toBe(0);
    // 2 2 2 2 inside, ending in distinct tokens: the tail (…, 8, 9) repeats nothing
    expect(loopShare([2, 2, 2, 2, 8, 9])).toBe(0);
    // a final pair of equal tokens is a loop of period 1 over 2 tokens: 2 of 5
    expect(loopShare([1, 2, 3, 6, 6])).toBeCloseTo(2 / 5, 12);
  });
});

describe('measureOscillation', () => {
  it('flags a generation whose top bigram count exceeds the reference\'s by the threshold', () => {
    const reference = [10, 11, 12, 13, 14, 15, 16, 17]; // top bigram count 1
    const looping = [10, 11, 5, 6, 5, 6, 5, 6]; // (5,6) three times
    expect(measureOscillation(reference, looping)).toEqual({ top_ngram_count: 3, reference_top_ngram_count: 1, oscillatory: true, loop_share: 6 / 8 });
    // the same repetition in the reference is not the model's doing: 3 − 3 = 0
    expect(measureOscillation(looping, looping).oscillatory).toBe(false);
    // a difference of 1 stays below the default threshold of 2; a threshold of 1 flags it
    const once = [10, 11, 5, 6, 7, 5, 6, 8]; // (5,6) twice
    expect(measureOscillation(reference, once)).toMatchObject({ top_ngram_count: 2, oscillatory: false, loop_share: 0 });
    expect(measureOscillation(reference, once, 2, 1).oscillatory).toBe(true);
    // trigrams: (5,6,5) and (6,5,6) twice each in `looping`
    expect(measureOscillation(reference, looping, 3).top_ngram_count).toBe(2);
  });
});
