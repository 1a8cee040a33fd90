import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { RecordBatch, Struct, Table, makeData, type Schema } from 'apache-arrow';
import { UserError } from '../errors.js';
import { checkOption, compressionOf } from './format.js';
import type { InputNaming } from './types.js';
import { requireZstd } from './zstd.js';
import { ValueMismatch, addFractionalKeys, inferSchema, toArrowValue, vectorOfJson } from './jsonl-types.js';
import type { FileUnits, ReadUnit } from './units.js';

export const DEFAULT_BATCH_ROWS = 1024;

interface LineChunk {
  lines: Buffer[];
  lineNumbers: number[];
  /** bytes of the (decompressed) input through this chunk's last line */
  bytesEnd: number;
}

type Row = Record<string, unknown>;

/**
 * A JSONL file ('-' = stdin, .gz and .zst decompressed) as chunks of `batchRows` non-blank lines. Lines are
 * split as bytes and decoded one by one with a fatal UTF-8 decoder, so errors name the line.
 * `fixedSchema` (from an earlier file of the same input) skips inference. A line longer than
 * `maxLineBytes` is refused, naming file and line.
 */
export async function jsonlUnits(
  path: string,
  batchRows = DEFAULT_BATCH_ROWS,
  fixedSchema: Schema | null = null,
  naming?: InputNaming & { maxLineBytes?: number },
): Promise<FileUnits> {
  const maxLineBytes = naming?.maxLineBytes ?? lineLimit.bytes;
  let size = 0;
  if (path !== '-') {
    try {
      const stats = await stat(path);
      if (stats.isDirectory()) throw new UserError(`${path}: is a directory`);
      size = stats.size;
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`${path}: no such file${checkOption(naming)}`);
    }
  }
  // later files of one input keep the first file's schema rather than inferring their own
  let schema: Schema | null = fixedSchema;
  async function* units(): AsyncGenerator<ReadUnit> {
    const { source, raw } = openSource(path);
    // the share of the file read, for progress: exact for plain JSONL; compressed, by the compressed bytes read
    const compressed = compressionOf(path) !== null;
    const through = (chunk: LineChunk) => {
      if (size <= 0) return undefined;
      const bytes = compressed ? ((raw as Readable & { bytesRead?: number }).bytesRead ?? 0) : chunk.bytesEnd;
      return Math.min(bytes, size) / size;
    };
    for await (const chunk of lineChunks(path, source, batchRows, maxLineBytes)) {
      if (schema === null) {
        // every shard parses the first chunk so all of them infer the same schema
        const rows = parseLines(path, chunk);
        const first = chunk.lineNumbers;
        const fractional = new Set<string>();
        for (const line of chunk.lines) addFractionalKeys(line.toString('utf8'), fractional);
        try {
          schema = inferSchema(rows, fractional);
        } catch (error) {
          if (error instanceof ValueMismatch) throw new UserError(`${path}: lines ${first[0]}-${first.at(-1)}: ${error.message}`);
          throw error;
        }
        const fixed = schema;
        yield { load: async () => tableOf(path, fixed, rows, chunk.lineNumbers), through: through(chunk) };
      } else {
        const fixed = schema;
        yield { load: async () => tableOf(path, fixed, parseLines(path, chunk), chunk.lineNumbers), through: through(chunk) };
      }
    }
  }
  return { units: units(), schema: () => schema };
}

/** The decompressed lines' stream, and the raw file stream under it (its bytesRead is the progress). */
function openSource(path: string): { source: Readable; raw: Readable } {
  const raw: Readable = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  const compression = compressionOf(path);
  if (!compression) return { source: raw, raw };
  const decompress = compression === 'gzip' ? createGunzip() : new (requireZstd(path).DecompressStream)();
  raw.on('error', (error) => decompress.destroy(error));
  return { source: raw.pipe(decompress), raw };
}

/** Lines longer than this are refused (--max-line-bytes): far above a real document (a whole book is a
 * few MB), far below V8's string limit (512 MiB), and a line is held about 4 times over while parsed. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** The limit readers use when their caller gives none: the CLI's --max-line-bytes sets it once per command. */
export const lineLimit = { bytes: DEFAULT_MAX_LINE_BYTES };

/** Splits a byte stream into lines in time linear in its size: the pieces of a line that spans chunks
 * are kept as a list and joined once, when its newline arrives (re-joining per chunk is quadratic). */
async function* lineChunks(path: string, source: Readable, batchRows: number, maxLineBytes: number): AsyncGenerator<LineChunk> {
  let chunk: LineChunk = { lines: [], lineNumbers: [], bytesEnd: 0 };
  let bytes = 0;
  let pieces: Buffer[] = [];
  let pieceBytes = 0;
  let lineNumber = 0;
  const tooLong = () =>
    new UserError(`${path}:${lineNumber + 1}: line longer than ${formatBytes(maxLineBytes)} (--max-line-bytes); split the record, or raise the limit if it is meant to be one row`);
  const take = (line: Buffer) => {
    lineNumber++;
    bytes += line.length + 1;
    chunk.bytesEnd = bytes;
    const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
    const text = line.subarray(0, end);
    if (isBlank(text)) return;
    chunk.lines.push(text);
    chunk.lineNumbers.push(lineNumber);
  };
  try {
    for await (const data of source) {
      const buffer = data as Buffer;
      let start = 0;
      for (let nl = buffer.indexOf(0x0a); nl !== -1; nl = buffer.indexOf(0x0a, start)) {
        if (pieceBytes + nl - start > maxLineBytes) throw tooLong();
        let line = buffer.subarray(start, nl);
        if (pieces.length > 0) {
          line = Buffer.concat([...pieces, line], pieceBytes + line.length);
          pieces = [];
          pieceBytes = 0;
        }
        take(line);
        start = nl + 1;
        if (chunk.lines.length >= batchRows) {
          yield chunk;
          chunk = { lines: [], lineNumbers: [], bytesEnd: bytes };
        }
      }
      if (start < buffer.length) {
        if (pieceBytes + buffer.length - start > maxLineBytes) throw tooLong();
        // copy the tail: a subarray would pin the whole 1 MiB read buffer
        pieces.push(Buffer.from(buffer.subarray(start)));
        pieceBytes += buffer.length - start;
      }
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${path}: cannot read: ${(error as Error).message}`);
  } finally {
    // a refused line must not keep the decompressor running to the end of the stream
    source.destroy();
  }
  if (pieces.length > 0) take(Buffer.concat(pieces, pieceBytes));
  if (chunk.lines.length > 0) yield chunk;
}

/** 64 MiB, 80 MB, 1234 B: a byte count in the largest unit that divides it exactly (as the limit was given). */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['GB', 1e9], ['MiB', 2 ** 20], ['MB', 1e6], ['KiB', 2 ** 10], ['kB', 1e3]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} B`;
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

function parseLines(path: string, chunk: LineChunk): Row[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return chunk.lines.map((bytes, i) => {
    const line = chunk.lineNumbers[i];
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new UserError(`${path}:${line}: invalid UTF-8; JSONL must be UTF-8 (re-encode the file, e.g. iconv -t UTF-8)`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new UserError(`${path}:${line}: invalid JSON (${(error as Error).message}); fix or remove the line`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UserError(`${path}:${line}: expected one JSON object per line, got ${Array.isArray(value) ? 'an array' : String(value)}`);
    }
    return value as Row;
  });
}

function tableOf(path: string, schema: Schema, rows: Row[], lineNumbers: number[]): Table {
  const known = new Set(schema.fields.map((f) => f.name));
  rows.forEach((row, i) => {
    for (const key of Object.keys(row)) {
      if (!known.has(key)) {
        throw new UserError(`${path}:${lineNumbers[i]}: key '${key}' is not among the columns of the first batch (${[...known].join(', ')}); JSONL columns are fixed by the first rows — add the key there (null is fine) or convert to Parquet`);
      }
    }
  });
  const children = schema.fields.map((field) => {
    const values = rows.map((row, i) => {
      try {
        return toArrowValue(field.type, row[field.name]);
      } catch (error) {
        if (!(error instanceof ValueMismatch)) throw error;
        throw new UserError(`${path}:${lineNumbers[i]}: column '${field.name}' is ${String(field.type)} (inferred from the first batch): ${error.message}`);
      }
    });
    return vectorOfJson(values, field.type).data[0];
  });
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new Table(schema, new RecordBatch(schema, data));
}
