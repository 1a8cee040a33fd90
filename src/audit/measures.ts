// Memorization measures for one example: pure functions of the reference suffix and the generation.
// Definitions (and why the approximate threshold is what it is): docs/audit.md.

/** Default threshold on edit similarity above which a generation counts as approximately memorized. */
export const DEFAULT_APPROX_THRESHOLD = 0.9;

/** Per-example measures of one greedy continuation against the reference suffix. */
export interface MemorizationMeasures {
  /** the generation equals the reference suffix token for token */
  memorized: boolean;
  /** correct tokens at the start of the generation, before the first miss */
  lead: number;
  /** share of the m positions generated correctly (position by position) */
  match_fraction: number;
  /** 1 − token-level Levenshtein distance / m */
  edit_similarity: number;
  /** edit_similarity ≥ threshold */
  approx_memorized: boolean;
}

type Tokens = ArrayLike<number>;

/** Number of leading positions where `generated` equals `reference`. */
export function countLead(reference: Tokens, generated: Tokens): number {
  const m = Math.min(reference.length, generated.length);
  let lead = 0;
  while (lead < m && reference[lead] === generated[lead]) lead++;
  return lead;
}

/** Token-level Levenshtein distance (insertions, deletions, substitutions all cost 1). */
export function levenshtein(a: Tokens, b: Tokens): number {
  // Two-row dynamic programme: suffixes are ~50 tokens, so O(m²) time and O(m) memory is plenty.
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (ai === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, previous[j] + 1, current[j - 1] + 1);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}

/** 1 − Levenshtein(reference, generated) / max(len): 1 for a verbatim copy, 0 for nothing in common. */
export function editSimilarity(reference: Tokens, generated: Tokens): number {
  const length = Math.max(reference.length, generated.length);
  if (length === 0) return 1;
  return 1 - levenshtein(reference, generated) / length;
}

/** All measures of one example; `reference` and `generated` both hold the m suffix tokens. */
export function measureMemorization(
  reference: Tokens,
  generated: Tokens,
  approxThreshold: number = DEFAULT_APPROX_THRESHOLD,
): MemorizationMeasures {
  if (reference.length !== generated.length) {
    throw new Error(`generated ${generated.length} tokens for a ${reference.length}-token reference suffix`);
  }
  const m = reference.length;
  const lead = countLead(reference, generated);
  let matches = 0;
  for (let t = 0; t < m; t++) if (reference[t] === generated[t]) matches++;
  const edit_similarity = editSimilarity(reference, generated);
  return {
    memorized: lead === m,
    lead,
    match_fraction: m === 0 ? 1 : matches / m,
    edit_similarity,
    approx_memorized: edit_similarity >= approxThreshold,
  };
}
