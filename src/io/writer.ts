import { UserError } from '../errors.js';
import { ArrowBatchWriter } from './arrow-write.js';
import { gzipSync } from 'node:zlib';
import { compressionOf, detectFormat, isArrowStreamPath } from './format.js';
import { JsonlBatchWriter } from './jsonl-write.js';
import { CHECKPOINT_SECONDS, defaultRowGroupRows, ParquetBatchWriter } from './parquet-write.js';
import { compressingSink, openSink } from './sink.js';
import { requireZstd } from './zstd.js';
import type { BatchWriter, WriteOptions } from './types.js';

/**
 * Open an output for batches. Files are written to `<path>.tmp-<pid>-<rand>` beside `path` and renamed
 * into place by `close()`; `abort()` removes the temp file. '-' writes Arrow IPC stream (default) or
 * JSONL to stdout. A missing output folder is a UserError naming it. With `checkpoint`, a Parquet or
 * JSONL file can resume a dead run (`writer.resumed`); see checkpoint.ts.
 */
export async function openWriter(path: string, options: WriteOptions = {}): Promise<BatchWriter> {
  const format = detectFormat(path, options.format);
  if (path === '-' && format === 'parquet') throw new UserError("Parquet cannot be written to stdout ('-'); use --format arrow or jsonl, or a file path");
  const compression = format === 'jsonl' ? compressionOf(path) : null;
  const compress = compression === 'gzip' ? gzipSync : compression === 'zstd' ? requireZstd(path).compress : null;
  // Arrow IPC's writer keeps its own block list until the footer: not resumable, it starts over
  const resumable = options.checkpoint && path !== '-' && format !== 'arrow';
  const rowGroupRows = options.rowGroupRows ?? defaultRowGroupRows();
  const checkpoint = resumable ? { fingerprint: options.checkpoint!.fingerprint, format: `${format}:${compression ?? 'none'}:${format === 'parquet' ? rowGroupRows : '-'}` } : undefined;
  const plain = await openSink(path, { checkpoint, note: options.note });
  const sink = compress ? compressingSink(plain, compress) : plain;
  switch (format) {
    case 'parquet':
      return new ParquetBatchWriter(path, sink, rowGroupRows, options.checkpoint?.seconds ?? CHECKPOINT_SECONDS);
    case 'arrow':
      return new ArrowBatchWriter(path, sink, isArrowStreamPath(path));
    case 'jsonl':
      return new JsonlBatchWriter(path, sink);
  }
}
