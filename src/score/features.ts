// Per-example features from logits (pure math, no IO). Definitions: docs/features.md.
// Everything is derived from one softmax pass per position (one exp per vocabulary entry):
//   log p(v) = z_v/τ − logZ,  H = logZ − Σ p·z (τ = 1),  KL(p‖q) = (Σ p·z_p − Σ p·z_q)/τ − logZ_p + logZ_q.

/** Which positions of a row feed the §5 suffix quantities: those predicting ids[k .. k+m). */
export interface SuffixWindow {
  prefixTokens: number;
  suffixTokens: number;
}

/** logZ and Σ p·z of softmax(z/τ) at one position (Σ in float64). */
export interface SoftmaxStats {
  logZ: number;
  /** expected raw logit under p: Σ_v p_v z_v */
  meanLogit: number;
}

/**
 * Softmax of z/τ at one position. When `probs` is given, the probabilities are written there (float32).
 */
export function softmaxStats(
  logits: Float32Array,
  offset: number,
  vocab: number,
  temperature: number,
  probs: Float32Array | null = null,
  probsOffset = 0,
): SoftmaxStats {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) if (logits[offset + v] > max) max = logits[offset + v];
  const invT = 1 / temperature;
  let sum = 0;
  let weighted = 0;
  for (let v = 0; v < vocab; v++) {
    const z = logits[offset + v];
    const e = Math.exp((z - max) * invT);
    sum += e;
    weighted += e * z;
    if (probs) probs[probsOffset + v] = e;
  }
  if (probs) {
    const scale = 1 / sum;
    for (let v = 0; v < vocab; v++) probs[probsOffset + v] *= scale;
  }
  return { logZ: max * invT + Math.log(sum), meanLogit: weighted / sum };
}

/** Per-row nll and suffix quantities of one model, from its τ = 1 softmax at each position. */
export class RowStatsAccumulator {
  private nllSum = 0;
  private entropySum = 0;
  private logprobSum = 0;

  constructor(
    private readonly ids: Int32Array,
    private readonly window: SuffixWindow,
  ) {}

  /** position j predicts ids[j + 1] */
  add(j: number, stats: SoftmaxStats, targetLogit: number): void {
    const logprob = targetLogit - stats.logZ;
    this.nllSum -= logprob;
    const { prefixTokens: k, suffixTokens: m } = this.window;
    if (j >= k - 1 && j < k + m - 1) {
      this.entropySum += stats.logZ - stats.meanLogit;
      this.logprobSum += logprob;
    }
  }

  /** NaN where undefined: nll of a one-token row, suffix values of a row shorter than k + m */
  result(): { nll: number; suffixEntropy: number; suffixLogprob: number } {
    const n = this.ids.length;
    const { prefixTokens: k, suffixTokens: m } = this.window;
    const hasSuffix = n >= k + m;
    return {
      nll: n > 1 ? this.nllSum / (n - 1) : NaN,
      suffixEntropy: hasSuffix ? this.entropySum / m : NaN,
      suffixLogprob: hasSuffix ? this.logprobSum : NaN,
    };
  }
}

/**
 * KL(p ‖ q) at one position at temperature τ, from p's probabilities and stats and q's raw logits and logZ.
 */
export function klAt(
  pProbs: Float32Array,
  pOffset: number,
  p: SoftmaxStats,
  qLogits: Float32Array,
  qOffset: number,
  qLogZ: number,
  vocab: number,
  temperature: number,
): number {
  let cross = 0;
  for (let v = 0; v < vocab; v++) cross += pProbs[pOffset + v] * qLogits[qOffset + v];
  return (p.meanLogit - cross) / temperature - p.logZ + qLogZ;
}
