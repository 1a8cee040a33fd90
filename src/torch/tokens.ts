// Token files: what the TypeScript side hands the Python trainer (format: docs/torch.md).
// One framed message: header line, int64 offsets[rows+1], int32 ids. Written in one streaming pass.
import { open, rename, rm } from 'node:fs/promises';
import { openReader } from '../io/index.js';
import { tokenizedBatches } from '../stage/tokenized.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { defaultTokenizerThreads, openBatchTokenizer, type BatchTokenizer } from '../text/tokenizer-pool.js';

export interface TokenFileOptions {
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
    return await writeTokens(inputs, encoder, path, { textColumn: options.textColumn ?? 'text', maxTokens: options.maxTokens ?? 128 });
  } finally {
    await encoder.close();
  }
}

async function writeTokens(
  inputs: string | string[],
  encoder: BatchTokenizer,
  path: string,
  { textColumn, maxTokens }: { textColumn: string; maxTokens: number },
): Promise<TokenFileSummary> {
  const idsPath = `${path}.ids.tmp`;
  const offsetsPath = `${path}.offsets.tmp`;
  const tmp = `${path}.tmp-${process.pid}`;
  const ids = await open(idsPath, 'w');
  const offsets = await open(offsetsPath, 'w');
  let rows = 0;
  let tokens = 0;
  try {
    await offsets.write(new Uint8Array(new BigInt64Array([0n]).buffer));
    for await (const { ids: encoded } of tokenizedBatches(openReader(inputs, { option: '--data' }), encoder, { textColumn, maxTokens, firstRow: 0 })) {
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
