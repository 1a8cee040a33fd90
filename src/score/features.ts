// Per-example features from logits (pure math, no IO). Definitions: docs/features.md.

/** Which positions of a row feed the §5 suffix quantities: those predicting ids[k .. k+m). */
export interface SuffixWindow {
  prefixTokens: number;
  suffixTokens: number;
}

/** Per-model statistics of one row, from the model's own (τ = 1) distribution. */
export interface ModelRowStats {
  nll: number;
  suffixEntropy: number;
  suffixLogprob: number;
}

/**
 * log-softmax(z / temperature) of one position, written to `out` (float32, as the kit's reference).
 * Sums run in float64 so long vocabularies do not lose precision.
 */
export function logSoftmaxInto(
  logits: Float32Array,
  offset: number,
  vocab: number,
  temperature: number,
  out: Float32Array,
  outOffset: number,
): void {
  const invT = 1 / temperature;
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) {
    const z = logits[offset + v] * invT;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] * invT - max);
  const logZ = max + Math.log(sum);
  for (let v = 0; v < vocab; v++) out[outOffset + v] = logits[offset + v] * invT - logZ;
}

/** Shannon entropy (nats) of one position's distribution given its log-probabilities. */
export function entropyAt(logprobs: Float32Array, offset: number, vocab: number): number {
  let h = 0;
  for (let v = 0; v < vocab; v++) {
    const lp = logprobs[offset + v];
    h -= Math.exp(lp) * lp;
  }
  return h;
}

/**
 * Stats of one row from its packed log-probabilities: position j (0 ≤ j < n−1) holds log p(· | ids[≤ j])
 * at `offset + j·vocab`. NaN suffix values when the row is shorter than prefix + suffix tokens.
 */
export function modelRowStats(
  logprobs: Float32Array,
  offset: number,
  vocab: number,
  ids: Int32Array,
  window: SuffixWindow,
): ModelRowStats {
  const n = ids.length;
  let nllSum = 0;
  for (let j = 0; j < n - 1; j++) nllSum -= logprobs[offset + j * vocab + ids[j + 1]];
  const { prefixTokens: k, suffixTokens: m } = window;
  let suffixEntropy = NaN;
  let suffixLogprob = NaN;
  if (n >= k + m) {
    let h = 0;
    let lp = 0;
    for (let j = k - 1; j < k + m - 1; j++) {
      const at = offset + j * vocab;
      h += entropyAt(logprobs, at, vocab);
      lp += logprobs[at + ids[j + 1]];
    }
    suffixEntropy = h / m;
    suffixLogprob = lp;
  }
  return { nll: n > 1 ? nllSum / (n - 1) : NaN, suffixEntropy, suffixLogprob };
}

/** Mean over `positions` of KL(p ‖ q), given packed log-probabilities of both models (nats). */
export function meanKl(
  teacherLogprobs: Float32Array,
  baselineLogprobs: Float32Array,
  offset: number,
  positions: number,
  vocab: number,
): number {
  if (positions <= 0) return NaN;
  let total = 0;
  for (let j = 0; j < positions; j++) {
    const at = offset + j * vocab;
    let kl = 0;
    for (let v = 0; v < vocab; v++) {
      const lt = teacherLogprobs[at + v];
      kl += Math.exp(lt) * (lt - baselineLogprobs[at + v]);
    }
    total += kl;
  }
  return total / positions;
}
