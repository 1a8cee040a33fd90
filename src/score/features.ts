// Per-example features from logits (pure math, no IO). Definitions: docs/features.md.
import { PAIR_SCORE_KEYS, type BatchLogits, type PairScoreOptions, type PairScores } from '../models/types.js';
import { onePassMeasures } from '../audit/onepass.js';
import { meanOfLowest } from './min-k.js';
// Everything is derived from one softmax pass per position (one exp per vocabulary entry):
//   log p(v) = z_v/τ − logZ,  H = logZ − Σ p·z (τ = 1),  KL(p‖q) = (Σ p·z_p − Σ p·z_q)/τ − logZ_p + logZ_q,
//   Min-K%++'s μ = Σ p·log p = Σ p·z − logZ and σ² = Σ p·(log p)² − μ² = Σ p·z² − (Σ p·z)²  (τ = 1).

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

/** The τ = 1 statistics of one position that every per-model column needs. */
export interface PositionStats extends SoftmaxStats {
  /** Σ p·z² − (Σ p·z)²: the variance of log p under p (Min-K%++'s σ²) */
  logitVariance: number;
  /** the lowest id among the largest logits: greedy decoding's choice */
  argmax: number;
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

/**
 * softmaxStats at τ = 1 plus the argmax and Σ p·z²: one more multiply-add per vocabulary entry. The sums run
 * over d = z − max (the variance is shift-invariant, and d keeps the second moment free of cancellation).
 */
export function positionStats(logits: Float32Array, offset: number, vocab: number, probs: Float32Array | null = null): PositionStats {
  let max = -Infinity;
  let argmax = 0;
  for (let v = 0; v < vocab; v++) {
    if (logits[offset + v] > max) {
      max = logits[offset + v];
      argmax = v;
    }
  }
  let sum = 0;
  let first = 0;
  let second = 0;
  for (let v = 0; v < vocab; v++) {
    const d = logits[offset + v] - max;
    const e = Math.exp(d);
    const ed = e * d;
    sum += e;
    first += ed;
    second += ed * d;
    if (probs) probs[v] = e;
  }
  if (probs) {
    const scale = 1 / sum;
    for (let v = 0; v < vocab; v++) probs[v] *= scale;
  }
  const mean = first / sum;
  return { logZ: max + Math.log(sum), meanLogit: max + mean, logitVariance: Math.max(0, second / sum - mean * mean), argmax };
}

export interface RowStats {
  nll: number;
  suffixEntropy: number;
  suffixLogprob: number;
  /** 1 or 0; NaN for a row shorter than k + m */
  memorized: number;
  lead: number;
  mink: number;
  minkpp: number;
}

/** Per-row columns of one model, from its τ = 1 statistics at each position. */
export class RowStatsAccumulator {
  private nllSum = 0;
  private entropySum = 0;
  private logprobSum = 0;
  /** per position: log p_t, Min-K%++'s z_t, the argmax (null: only the paper's columns) */
  private readonly logprobs: Float64Array | null;
  private readonly zScores: Float64Array | null;
  private readonly argmax: Int32Array | null;

  constructor(
    private readonly ids: Int32Array,
    private readonly window: SuffixWindow,
    private readonly minK: number | null,
  ) {
    const positions = Math.max(0, ids.length - 1);
    this.logprobs = minK === null ? null : new Float64Array(positions);
    this.zScores = minK === null ? null : new Float64Array(positions);
    this.argmax = minK === null ? null : new Int32Array(positions);
  }

  /** position j predicts ids[j + 1] */
  add(j: number, stats: SoftmaxStats | PositionStats, targetLogit: number): void {
    const logprob = targetLogit - stats.logZ;
    this.nllSum -= logprob;
    const { prefixTokens: k, suffixTokens: m } = this.window;
    if (j >= k - 1 && j < k + m - 1) {
      this.entropySum += stats.logZ - stats.meanLogit;
      this.logprobSum += logprob;
    }
    if (this.logprobs && 'argmax' in stats) {
      this.logprobs[j] = logprob;
      // log p_t − μ_t = z_target − Σ p·z; a one-point or uniform distribution (σ = 0) has every log p = μ
      const sigma = Math.sqrt(stats.logitVariance);
      this.zScores![j] = sigma > 0 ? (targetLogit - stats.meanLogit) / sigma : 0;
      this.argmax![j] = stats.argmax;
    }
  }

  /** NaN where undefined: nll, Min-K% of a one-token row; suffix values and memorization of a row shorter than k + m */
  result(): RowStats {
    const n = this.ids.length;
    const { prefixTokens: k, suffixTokens: m } = this.window;
    const hasSuffix = n >= k + m;
    // greedy decoding's memorized/lead from the teacher-forced argmaxes at the m suffix positions (audit's one-pass rule)
    const match = this.argmax && hasSuffix ? onePassMeasures(this.ids.subarray(k, k + m), this.argmax.subarray(k - 1, k + m - 1)) : null;
    return {
      nll: n > 1 ? this.nllSum / (n - 1) : NaN,
      suffixEntropy: hasSuffix ? this.entropySum / m : NaN,
      suffixLogprob: hasSuffix ? this.logprobSum : NaN,
      memorized: match ? Number(match.memorized) : NaN,
      lead: match ? match.lead : NaN,
      mink: this.logprobs && this.minK !== null ? meanOfLowest(this.logprobs, this.minK) : NaN,
      minkpp: this.zScores && this.minK !== null ? meanOfLowest(this.zScores, this.minK) : NaN,
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
  // the benchmark's reference variant computes only the paper's columns (bench/score.ts)
  const extended = !options.paperColumnsOnly;
  const minK = extended ? options.minK : null;
  const n = rows.length;
  const out = emptyPairScores(n);
  const teacherProbs = new Float32Array(vocab);
  for (let r = 0; r < n; r++) {
    const ids = rows[r];
    const teacherRow = new RowStatsAccumulator(ids, options, minK);
    const baselineRow = new RowStatsAccumulator(ids, options, minK);
    let klSum = 0;
    for (let j = 0; j < ids.length - 1; j++) {
      const t = (r * teacher.seqLen + j) * vocab;
      const b = (r * baseline.seqLen + j) * vocab;
      const target = ids[j + 1];
      const keepProbs = temperature === 1 ? teacherProbs : null;
      const teacherStats = extended ? positionStats(teacher.data, t, vocab, keepProbs) : softmaxStats(teacher.data, t, vocab, 1, keepProbs);
      const baselineStats = extended ? positionStats(baseline.data, b, vocab) : softmaxStats(baseline.data, b, vocab, 1);
      teacherRow.add(j, teacherStats, teacher.data[t + target]);
      baselineRow.add(j, baselineStats, baseline.data[b + target]);
      // KL(p ‖ q) = (Σ p·z_p − Σ p·z_q)/τ − logZ_p + logZ_q, with p, q = softmax(z/τ)
      const p = temperature === 1 ? teacherStats : softmaxStats(teacher.data, t, vocab, temperature, teacherProbs);
      const qLogZ = temperature === 1 ? baselineStats.logZ : softmaxStats(baseline.data, b, vocab, temperature).logZ;
      let cross = 0;
      for (let v = 0; v < vocab; v++) cross += teacherProbs[v] * baseline.data[b + v];
      klSum += (p.meanLogit - cross) / temperature - p.logZ + qLogZ;
    }
    for (const [model, result] of [['teacher', teacherRow.result()], ['baseline', baselineRow.result()]] as const) {
      out[`${model}_nll`][r] = result.nll;
      out[`${model}_suffix_entropy`][r] = result.suffixEntropy;
      out[`${model}_suffix_logprob`][r] = result.suffixLogprob;
      out[`${model}_memorized`][r] = result.memorized;
      out[`${model}_lead`][r] = result.lead;
      out[`${model}_mink`][r] = result.mink;
      out[`${model}_minkpp`][r] = result.minkpp;
    }
    out.kl_teacher_baseline[r] = ids.length > 1 ? klSum / (ids.length - 1) : NaN;
  }
  return out;
}

export function emptyPairScores(n: number): PairScores {
  return Object.fromEntries(PAIR_SCORE_KEYS.map((key) => [key, new Float64Array(n)])) as unknown as PairScores;
}

