// Per-example features from logits (pure math, no IO). Definitions: docs/features.md.
import type { BatchLogits, PairScoreOptions, PairScores } from '../models/types.js';
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
 * Every PairScores column of a batch from the two models' logits ([batch, seqLen, vocab] each, right-padded).
 * One softmax pass per model and position at τ = 1, a second at τ when τ ≠ 1.
 */
export function pairScoresFromLogits(
  teacher: BatchLogits,
  baseline: BatchLogits,
  rows: Int32Array[],
  options: PairScoreOptions,
): PairScores {
  const { temperature } = options;
  const vocab = teacher.vocab;
  if (baseline.vocab !== vocab) {
    throw new Error(`teacher and baseline logits differ in size (${vocab} vs ${baseline.vocab}); they must share a vocabulary`);
  }
  const n = rows.length;
  const out = emptyPairScores(n);
  const teacherProbs = new Float32Array(vocab);
  for (let r = 0; r < n; r++) {
    const ids = rows[r];
    const teacherRow = new RowStatsAccumulator(ids, options);
    const baselineRow = new RowStatsAccumulator(ids, options);
    let klSum = 0;
    for (let j = 0; j < ids.length - 1; j++) {
      const t = (r * teacher.seqLen + j) * vocab;
      const b = (r * baseline.seqLen + j) * vocab;
      const target = ids[j + 1];
      const teacherStats = softmaxStats(teacher.data, t, vocab, 1, temperature === 1 ? teacherProbs : null);
      const baselineStats = softmaxStats(baseline.data, b, vocab, 1);
      teacherRow.add(j, teacherStats, teacher.data[t + target]);
      baselineRow.add(j, baselineStats, baseline.data[b + target]);
      // KL(p ‖ q) = (Σ p·z_p − Σ p·z_q)/τ − logZ_p + logZ_q, with p, q = softmax(z/τ)
      const p = temperature === 1 ? teacherStats : softmaxStats(teacher.data, t, vocab, temperature, teacherProbs);
      const qLogZ = temperature === 1 ? baselineStats.logZ : softmaxStats(baseline.data, b, vocab, temperature).logZ;
      let cross = 0;
      for (let v = 0; v < vocab; v++) cross += teacherProbs[v] * baseline.data[b + v];
      klSum += (p.meanLogit - cross) / temperature - p.logZ + qLogZ;
    }
    const teacherResult = teacherRow.result();
    const baselineResult = baselineRow.result();
    out.teacher_nll[r] = teacherResult.nll;
    out.baseline_nll[r] = baselineResult.nll;
    out.teacher_suffix_entropy[r] = teacherResult.suffixEntropy;
    out.baseline_suffix_entropy[r] = baselineResult.suffixEntropy;
    out.teacher_suffix_logprob[r] = teacherResult.suffixLogprob;
    out.baseline_suffix_logprob[r] = baselineResult.suffixLogprob;
    out.kl_teacher_baseline[r] = ids.length > 1 ? klSum / (ids.length - 1) : NaN;
  }
  return out;
}

export function emptyPairScores(n: number): PairScores {
  return {
    teacher_nll: new Float64Array(n),
    baseline_nll: new Float64Array(n),
    kl_teacher_baseline: new Float64Array(n),
    teacher_suffix_entropy: new Float64Array(n),
    baseline_suffix_entropy: new Float64Array(n),
    teacher_suffix_logprob: new Float64Array(n),
    baseline_suffix_logprob: new Float64Array(n),
  };
}
