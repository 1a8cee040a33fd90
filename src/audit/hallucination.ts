// Hallucination measures of a generated continuation: pure functions of token ids. Definitions and
// sources: docs/audit.md, "Hallucination measures".

/** n of the n-grams counted (Raunak et al. 2021 count bigrams). */
export const DEFAULT_OSCILLATION_NGRAM = 2;
/** top n-gram count of the generation minus the reference's at or above which it is oscillatory. */
export const DEFAULT_OSCILLATION_THRESHOLD = 2;

type Tokens = ArrayLike<number>;

/**
 * Occurrences (overlapping) of the most frequent n-gram of `tokens`; 0 when it holds fewer than n
 * tokens. [a b a b a] has bigrams ab, ba, ab, ba: 2.
 */
export function topNgramCount(tokens: Tokens, n: number = DEFAULT_OSCILLATION_NGRAM): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`n-gram size must be a positive integer, got ${n}`);
  const counts = new Map<string, number>();
  let top = 0;
  for (let i = 0; i + n <= tokens.length; i++) {
    let key = String(tokens[i]);
    for (let j = 1; j < n; j++) key += `,${tokens[i + j]}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count > top) top = count;
  }
  return top;
}

/**
 * Tokens at the end of `tokens` that repeat with some period p for at least two full periods,
 * as a share of its length: the greedy decoder's loop. For period p, the periodic tail is the
 * longest suffix where every token equals the one p before it (within the suffix); it counts only
 * when it spans ≥ 2p tokens. The share is the longest such tail over p ≥ 1, / length (0 for none).
 * [x y a b a b a] → period 2, tail "a b a b a" (5 tokens ≥ 2·2) → 5/7.
 */
export function loopShare(tokens: Tokens): number {
  const length = tokens.length;
  if (length < 2) return 0;
  let longest = 0;
  for (let p = 1; 2 * p <= length; p++) {
    // walk back from the end while tokens[i] === tokens[i + p]
    let i = length - 1 - p;
    while (i >= 0 && tokens[i] === tokens[i + p]) i--;
    const tail = length - 1 - i;
    if (tail >= 2 * p && tail > longest) longest = tail;
  }
  return longest / length;
}

/** Oscillation of one generation against its reference (Raunak et al. 2021, top n-gram count). */
export interface OscillationMeasures {
  /** occurrences of the generation's most repeated n-gram */
  top_ngram_count: number;
  /** the same in the reference (the corpus text the generation stands in for) */
  reference_top_ngram_count: number;
  /** top_ngram_count − reference_top_ngram_count ≥ threshold */
  oscillatory: boolean;
  /** share of the generation that is a repeated loop at its end (loopShare) */
  loop_share: number;
}

export function measureOscillation(
  reference: Tokens,
  generated: Tokens,
  ngram: number = DEFAULT_OSCILLATION_NGRAM,
  threshold: number = DEFAULT_OSCILLATION_THRESHOLD,
): OscillationMeasures {
  const top = topNgramCount(generated, ngram);
  const referenceTop = topNgramCount(reference, ngram);
  return { top_ngram_count: top, reference_top_ngram_count: referenceTop, oscillatory: top - referenceTop >= threshold, loop_share: loopShare(generated) };
}
