import type { Schema, Table } from 'apache-arrow';

/** One chunk of rows flowing through the pipeline: every input column, in input order. */
export type Batch = Table;

export type Format = 'parquet' | 'arrow' | 'jsonl';

/** How messages about an input name it, so each hint names a flag the command has. */
export interface InputNaming {
  /** the option that gave the input (e.g. '--after'); messages say "check --after" */
  option?: string;
  /** the command has --format: a file of unknown extension can name its format */
  formatOption?: boolean;
}

export interface ReadOptions extends InputNaming {
  /** overrides the format guessed from the extension */
  format?: Format;
  /** rows per yielded batch for formats without natural chunks (JSONL); Parquet yields per row group */
  batchRows?: number;
  /**
   * Keep only these columns (those the input has; callers check for missing ones with their own message).
   * Parquet then decodes only these column chunks, so a text column nobody needs is never read.
   */
  columns?: string[];
  /** JSONL: refuse a line longer than this (default: lineLimit.bytes, 64 MiB; the CLI's --max-line-bytes) */
  maxLineBytes?: number;
  /** leave out the first rows (of the shard's rows): a resumed stage skips what its output holds */
  skipRows?: number;
}

/** The rows a reader will yield in all: exact from Parquet footers, else estimated from the share of the input read. */
export interface ExpectedRows {
  rows: number;
  exact: boolean;
}

export interface BatchReader extends AsyncIterable<Batch> {
  /** what messages call it: the file, or the first and how many more */
  readonly path: string;
  /** the files it reads, in order (a folder or glob expanded) */
  readonly files: readonly string[];
  readonly format: Format;
  /** for progress bars and ETAs; undefined until known (stdin, or nothing read yet) */
  expected(): ExpectedRows | undefined;
}

/** What a stage streaming a text corpus to one output takes (score, audit). */
export interface TextStreamOptions {
  input: string | string[];
  output: string;
  inputFormat?: Format;
  outputFormat?: Format;
  textColumn?: string;
  idColumn?: string;
  /** truncate each text to its first maxTokens tokens */
  maxTokens?: number;
  /** rows per model call */
  batchSize?: number;
  /** worker threads that tokenize (0: the main thread); default 1, so tokenization stays off the main thread */
  tokenizerThreads?: number;
  shard?: { index: number; count: number };
  quiet?: boolean;
  /** resume inside the stage: see WriteOptions.checkpoint */
  checkpoint?: { fingerprint: string; seconds?: number };
}

export interface WriteOptions {
  format?: Format;
  /** Parquet: rows per row group (default 10,000; a group also closes at 64 MiB) */
  rowGroupRows?: number;
  /**
   * Resume inside a stage (Parquet and JSONL files): keep a checkpoint beside the temp file, and take
   * over a dead run's temp file whose checkpoint has this fingerprint (the stage's arguments and inputs).
   * `seconds`: a Parquet row group (a checkpoint) also closes this long after the last one (default
   * CHECKPOINT_SECONDS); JSONL checkpoints after every batch.
   */
  checkpoint?: { fingerprint: string; seconds?: number };
  /** where notes about other runs' temp files go (default: stderr) */
  note?: (message: string) => void;
}

/** Where a checkpointed writer that took over a dead run's temp file goes on from. */
export interface ResumedOutput {
  /** rows already in the output, from the start of the stage's input */
  rows: number;
  /** the state the stage passed with the last of those rows */
  stage: unknown;
}

/**
 * A writer publishes its file only on `close()` (temp file, then rename);
 * `abort()` removes the temp file so no half-written output is left at `path`.
 */
export interface BatchWriter {
  readonly path: string;
  /** `stage`: the stage's counters after this batch, saved with a checkpoint that ends at it */
  write(batch: Batch, stage?: unknown): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
  readonly rowsWritten: number;
  /** set when opened with `checkpoint` and a dead run's temp file was taken over */
  readonly resumed?: ResumedOutput;
}

export type { Schema };
