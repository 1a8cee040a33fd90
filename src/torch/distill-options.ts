// What `memsieve distill` takes: shared by distill.ts and hard.ts (hard KD's targets), which distill.ts runs.
import type { SpecialTokenPolicy } from '../text/tokenizer.js';
import type { WarningOptions } from '../stage/warnings.js';

export type DistillMode = 'soft' | 'hard' | 'ce';

export interface DistillOptions extends WarningOptions {
  mode: DistillMode;
  /** training data (Parquet, Arrow IPC, JSONL) with a text column (hard KD: the rows the teacher continues) */
  data?: string | string[];
  /** hard KD: train on this targets file (memsieve targets, or filter's output of one) instead of generating */
  targets?: string;
  /** hard KD, Adaptive-SeqKD: fine-tune a copy of the teacher on this data before it writes the targets */
  adaptOn?: string | string[];
  /** optimizer steps of that fine-tune */
  adaptSteps?: number;
  /** its (constant) learning rate */
  adaptLr?: number;
  /** held-out data: validation loss and perplexity after each epoch */
  validation?: string | string[];
  tokenizer: string;
  textColumn?: string;
  /** tokens per row (the kit: 128) */
  maxTokens?: number;
  /** 'tokenizer' (default) or 'none', as score and audit were run */
  specialTokens?: SpecialTokenPolicy;
  /** worker threads that tokenize the data (0: the main thread); default: every core but the main thread's */
  tokenizerThreads?: number;
  teacher?: string;
  /** initialize from this checkpoint ... */
  student?: string;
  /** ... or randomly from this config (a checkpoint folder or its config.json), seeded */
  studentConfig?: string;
  out: string;
  epochs?: number;
  lr?: number;
  minLr?: number;
  schedule?: 'cosine' | 'constant';
  warmupSteps?: number;
  /** rows per optimizer step */
  batchSize?: number;
  gradAccum?: number;
  weightDecay?: number;
  gradClip?: number;
  temperature?: number;
  /** hard KD: prefix the teacher continues */
  prefixTokens?: number;
  /** hard KD: also keep the teacher's sequences as a token file */
  hardDataOut?: string;
  bf16?: boolean;
  seed?: number;
  device?: string;
  logEvery?: number;
  /** save a resume point (OUT.resume/) every n epochs; 0: never */
  checkpointEpochs?: number;
  python?: string;
}
