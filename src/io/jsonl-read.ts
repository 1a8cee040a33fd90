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
}

type Row = Record<string, unknown>;

/**
 * A JSONL file ('-' = stdin, .gz and .zst decompressed) as chunks of `batchRows` non-blank lines. Lines are
 * split as bytes and decoded one by one with a fatal UTF-8 decoder, so errors name the line.
 * `fixedSchema` (from an earlier file of the same input) skips inference.
 */
export async function jsonlUnits(path: string, batchRows = DEFAULT_BATCH_ROWS, fixedSchema: Schema | null = null, naming?: InputNaming): Promise<FileUnits> {
  if (path !== '-') {
    try {
      if ((await stat(path)).isDirectory()) throw new UserError(`${path}: is a directory`);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`${path}: no such file${checkOption(naming)}`);
    }
  }
  // later files of one input keep the first file's schema rather than inferring their own
  let schema: Schema | null = fixedSchema;
  async function* units(): AsyncGenerator<ReadUnit> {
    for await (const chunk of lineChunks(path, openSource(path), batchRows)) {
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
        yield { load: async () => tableOf(path, fixed, rows, chunk.lineNumbers) };
      } else {
        const fixed = schema;
        yield { load: async () => tableOf(path, fixed, parseLines(path, chunk), chunk.lineNumbers) };
      }
    }
  }
  return { units: units(), schema: () => schema };
}

function openSource(path: string): Readable {
  const raw: Readable = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  const compression = compressionOf(path);
  if (!compression) return raw;
  const decompress = compression === 'gzip' ? createGunzip() : new (requireZstd(path).DecompressStream)();
  raw.on('error', (error) => decompress.destroy(error));
  return raw.pipe(decompress);
}

async function* lineChunks(path: string, source: Readable, batchRows: number): AsyncGenerator<LineChunk> {
  let chunk: LineChunk = { lines: [], lineNumbers: [] };
  let carry: Buffer | null = null;
  let lineNumber = 0;
  const take = (line: Buffer) => {
    lineNumber++;
    const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
    const bytes = line.subarray(0, end);
    if (isBlank(bytes)) return;
    chunk.lines.push(bytes);
    chunk.lineNumbers.push(lineNumber);
  };
  try {
    for await (const data of source) {
      const buffer = data as Buffer;
      let start = 0;
      for (let nl = buffer.indexOf(0x0a); nl !== -1; nl = buffer.indexOf(0x0a, start)) {
        let line = buffer.subarray(start, nl);
        if (carry) {
          line = Buffer.concat([carry, line]);
          carry = null;
        }
        take(line);
        start = nl + 1;
        if (chunk.lines.length >= batchRows) {
          yield chunk;
          chunk = { lines: [], lineNumbers: [] };
        }
      }
      // copy the tail: a subarray would pin the whole 1 MiB read buffer
      const tail = Buffer.from(buffer.subarray(start));
      carry = carry ? Buffer.concat([carry, tail]) : tail;
    }
  } catch (error) {
    throw new UserError(`${path}: cannot read: ${(error as Error).message}`);
  }
  if (carry && carry.length > 0) take(carry);
  if (chunk.lines.length > 0) yield chunk;
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
