// Token files: what the TypeScript side hands the Python trainer (format: docs/torch.md).
// One framed message: header line, int64 offsets[rows+1], int32 ids. Written in one streaming pass.
import { open, rename, rm } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { openReader } from '../io/index.js';
import { missingColumnError } from '../io/missing-column.js';
import { tokenizedBatches } from '../stage/tokenized.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { defaultTokenizerThreads, openBatchTokenizer } from '../text/tokenizer-pool.js';

export interface TokenFileOptions {
  /** the option that named the inputs, for errors (default --data) */
  option?: string;
  textColumn?: string;
  maxTokens?: number;
  /** worker threads that tokenize (0: this thread); default: every core but this thread's */
  tokenizerThreads?: number;
}

export interface TokenFileSummary {
  path: string;
  rows: number;
  tokens: number;
}

/**
 * Tokenize the text column of `inputs` (Parquet, Arrow IPC, JSONL) into a token file at `path`.
 * Ids and offsets stream to two scratch files (memory stays bounded), then are joined behind the
 * header and renamed into place.
 */
export async function writeTokenFile(
  inputs: string | string[],
  tokenizer: Tokenizer,
  path: string,
  options: TokenFileOptions = {},
): Promise<TokenFileSummary> {
  const encoder = await openBatchTokenizer(tokenizer, options.tokenizerThreads ?? defaultTokenizerThreads(0));
  try {
    const reader = openReader(inputs, { option: options.option ?? '--data' });
    const batches = tokenizedBatches(reader, encoder, { textColumn: options.textColumn ?? 'text', maxTokens: options.maxTokens ?? 128, firstRow: 0 });
    return await writeTokens(idsOf(batches), path);
  } finally {
    await encoder.close();
  }
}

async function* idsOf(batches: AsyncIterable<{ ids: Int32Array[] }>): AsyncGenerator<Int32Array[]> {
  for await (const { ids } of batches) yield ids;
}

/** The columns of a targets file (memsieve targets) a hard-KD student trains on: prompt, then continuation. */
export const TARGET_SEQUENCE_COLUMNS = ['prompt_ids', 'continuation_ids'] as const;

/** The teacher's sequences of a targets file (prompt_ids followed by continuation_ids per row) as a token file. */
export async function writeTargetsTokenFile(targets: string | string[], path: string): Promise<TokenFileSummary> {
  return writeTokens(targetSequences(targets), path);
}

async function* targetSequences(targets: string | string[]): AsyncGenerator<Int32Array[]> {
  const reader = openReader(targets, { option: '--targets', columns: [...TARGET_SEQUENCE_COLUMNS] });
  let firstRow = 0;
  for await (const batch of reader) {
    const [prompts, continuations] = TARGET_SEQUENCE_COLUMNS.map((name) => {
      const column = batch.getChild(name);
      if (!column) throw missingColumnError({ subject: `--targets ${reader.path}`, name, file: reader.path, purpose: 'to train on', hint: 'give the output of memsieve targets (or of filter on it)' });
      return column;
    });
    yield Array.from({ length: batch.numRows }, (_, i) => {
      const prompt = prompts.get(i) as { toArray(): Int32Array } | null;
      const continuation = continuations.get(i) as { toArray(): Int32Array } | null;
      if (prompt === null || continuation === null) throw new UserError(`--targets ${reader.path}: row ${firstRow + i} has no prompt_ids or continuation_ids`);
      const [head, tail] = [prompt.toArray(), continuation.toArray()];
      const row = new Int32Array(head.length + tail.length);
      row.set(head);
      row.set(tail, head.length);
      return row;
    });
    firstRow += batch.numRows;
  }
}

/**
 * Token rows, batch by batch, written to a token file at `path`. Ids and offsets stream to two scratch
 * files (memory stays bounded), then are joined behind the header and renamed into place.
 */
async function writeTokens(batches: AsyncIterable<Int32Array[]>, path: string): Promise<TokenFileSummary> {
  const idsPath = `${path}.ids.tmp`;
  const offsetsPath = `${path}.offsets.tmp`;
  const tmp = `${path}.tmp-${process.pid}`;
  const ids = await open(idsPath, 'w');
  const offsets = await open(offsetsPath, 'w');
  let rows = 0;
  let tokens = 0;
  try {
    await offsets.write(new Uint8Array(new BigInt64Array([0n]).buffer));
    for await (const encoded of batches) {
      const batchOffsets = new BigInt64Array(encoded.length);
      const batchIds = new Int32Array(encoded.reduce((sum, e) => sum + e.length, 0));
      let at = 0;
      encoded.forEach((e, i) => {
        batchIds.set(e, at);
        at += e.length;
        batchOffsets[i] = BigInt(tokens + at);
      });
      await ids.write(new Uint8Array(batchIds.buffer));
      await offsets.write(new Uint8Array(batchOffsets.buffer));
      rows += encoded.length;
      tokens += at;
    }
    await ids.close();
    await offsets.close();
    const header = JSON.stringify({
      format: 'memsieve-tokens',
      version: 1,
      rows,
      arrays: [
        { name: 'offsets', dtype: 'int64', length: rows + 1 },
        { name: 'ids', dtype: 'int32', length: tokens },
      ],
    });
    const out = await open(tmp, 'w');
    try {
      await out.write(`${header}\n`);
      for (const part of [offsetsPath, idsPath]) {
        const source = await open(part, 'r');
        for await (const chunk of source.createReadStream() as AsyncIterable<Buffer>) await out.write(chunk);
      }
    } finally {
      await out.close();
    }
    await rename(tmp, path);
    return { path, rows, tokens };
  } finally {
    await ids.close().catch(() => {});
    await offsets.close().catch(() => {});
    await Promise.all([rm(idsPath, { force: true }), rm(offsetsPath, { force: true }), rm(tmp, { force: true })]);
  }
}
