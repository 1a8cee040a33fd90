/** Token ids of one example (already truncated), as produced by the tokenizer. */
export type TokenIds = Int32Array;

export type Device = 'cpu' | 'cuda' | 'webgpu';

export interface ModelOptions {
  device?: Device;
  threads?: number;
  batchSize?: number;
}

/** Logits of a right-padded batch, row-major [batch, seqLen, vocab]. */
export interface BatchLogits {
  data: Float32Array;
  batch: number;
  seqLen: number;
  vocab: number;
}

/** Greedy decoding and teacher-forced argmaxes: what `audit` needs from any backend. */
export interface Generator {
  /** continue each prefix by exactly n tokens (argmax, ties to the lowest id, no stop token) */
  greedy(prefixes: TokenIds[], n: number): Promise<TokenIds[]>;
  /**
   * One forward pass per row, fed the row's true tokens: entry i of row r's result is the argmax
   * (ties to the lowest id) of the next-token logits at position start − 1 + i, i.e. the model's
   * guess for row[start + i] given row[0:start + i]. Each result has row.length − start entries.
   */
  teacherForcedArgmax(rows: TokenIds[], start: number): Promise<TokenIds[]>;
  close(): Promise<void>;
}

/** A causal language model that exposes logits (the onnxruntime backend). */
export interface CausalLM extends Generator {
  readonly name: string;
  readonly vocabSize: number;
  /** logits for a batch of sequences, right-padded to the longest one */
  logits(batch: TokenIds[]): Promise<BatchLogits>;
}

export interface PairScoreOptions {
  temperature: number;
  prefixTokens: number;
  suffixTokens: number;
  /** Min-K% and Min-K%++ average the lowest ⌊minK·(n−1)⌋ positions */
  minK: number;
  /** only the paper's columns (the others NaN): the reference variant of bench/score.ts, not a user option */
  paperColumnsOnly?: boolean;
}

/** Every per-row model column of a teacher/baseline pair, in the order both backends return them. */
export const PAIR_SCORE_KEYS = [
  'teacher_nll',
  'baseline_nll',
  'kl_teacher_baseline',
  'teacher_suffix_entropy',
  'baseline_suffix_entropy',
  'teacher_suffix_logprob',
  'baseline_suffix_logprob',
  'teacher_memorized',
  'teacher_lead',
  'baseline_memorized',
  'baseline_lead',
  'teacher_mink',
  'baseline_mink',
  'teacher_minkpp',
  'baseline_minkpp',
] as const;

/**
 * Per-row model features of a teacher/baseline pair, one entry per input row (memorized as 1/0).
 * NaN marks a value that is undefined for the row (too short for the suffix window).
 * Definitions: docs/features.md.
 */
export type PairScores = Record<(typeof PAIR_SCORE_KEYS)[number], Float64Array>;

/** What `score` needs from any backend: onnxruntime computes it from logits, the PyTorch worker on GPU. */
export interface PairScorer {
  scorePairs(rows: TokenIds[], options: PairScoreOptions): Promise<PairScores>;
  close(): Promise<void>;
}
