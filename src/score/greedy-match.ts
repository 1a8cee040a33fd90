// Discoverable memorization from one teacher-forced pass: greedy decoding of ids[0:k] for m tokens reproduces
// ids[k:k+m] exactly when the teacher-forced argmax at every position j in [k−1, k+m−1) equals ids[j+1] (while
// the generated tokens equal the reference, greedy step i sees the same context as teacher forcing), and the
// greedy `lead` is the number of leading suffix positions whose teacher-forced argmax is right.

export interface GreedyMatch {
  /** greedy decoding of ids[0:k] reproduces ids[k:k+m] */
  memorized: boolean;
  /** suffix tokens greedy decoding gets right before its first miss */
  lead: number;
}

/**
 * `argmax[j]` is the argmax (ties to the lowest id, as greedy decoding) of the logits at position j, the one
 * predicting ids[j + 1]. Null for a row shorter than k + m (k ≥ 1).
 */
export function teacherForcedMatch(argmax: ArrayLike<number>, ids: ArrayLike<number>, k: number, m: number): GreedyMatch | null {
  if (ids.length < k + m) return null;
  let lead = 0;
  while (lead < m && argmax[k - 1 + lead] === ids[k + lead]) lead++;
  return { memorized: lead === m, lead };
}
