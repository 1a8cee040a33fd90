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

/**
 * A causal language model backend. Stages use this interface only and never know
 * whether onnxruntime or the PyTorch worker runs behind it.
 */
export interface CausalLM {
  readonly name: string;
  readonly vocabSize: number;
  /** logits for a batch of sequences, right-padded to the longest one */
  logits(batch: TokenIds[]): Promise<BatchLogits>;
  /** greedy continuation of each prefix by exactly n tokens (ties to the lowest id, no stop token) */
  greedy(prefixes: TokenIds[], n: number): Promise<TokenIds[]>;
  close(): Promise<void>;
}
