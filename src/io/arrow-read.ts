import { isUtf8 } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { DataType, RecordBatchReader, Table, type Data, type RecordBatch } from 'apache-arrow';
import { UserError } from '../errors.js';
import { checkOption } from './format.js';
import type { InputNaming } from './types.js';
import type { FileUnits, ReadUnit } from './units.js';

/**
 * An Arrow IPC file or stream ('-' = stdin) as record-batch units; the file format reads only the batches asked for.
 * Strings of `columns` (default: all) that are not UTF-8 are refused, as Parquet's and JSONL's are.
 */
export async function arrowUnits(path: string, naming?: InputNaming, columns?: string[]): Promise<FileUnits> {
  let handle: FileHandle | undefined;
  if (path !== '-') {
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${path}: no such file${checkOption(naming)}`);
      throw error;
    }
  }
  let reader: RecordBatchReader;
  try {
    reader = await (handle ? RecordBatchReader.from(handle) : RecordBatchReader.from(process.stdin));
    await reader.open();
    if (!reader.schema) throw new Error('no schema message');
  } catch (error) {
    await handle?.close();
    throw new UserError(`${path}: not an Arrow IPC file or stream (${(error as Error).message}); check the file${naming?.formatOption ? ', or pass --format' : ''}`);
  }
  const wrap = (batch: RecordBatch | null, index: number): Table => {
    if (!batch) throw new UserError(`${path}: record batch ${index} is missing; the file is truncated`);
    batch.schema.fields.forEach((field, c) => {
      if (columns && !columns.includes(field.name)) return;
      const row = invalidUtf8Row(batch.data.children[c]);
      if (row !== undefined) throw new UserError(`${path}: record batch ${index}, row ${row}: column '${field.name}': invalid UTF-8; Arrow strings must be UTF-8 (re-encode the column, or drop the row)`);
    });
    return new Table(batch);
  };
  async function* units(): AsyncGenerator<ReadUnit> {
    try {
      if (reader.isFile()) {
        for (let i = 0; i < reader.numRecordBatches; i++) {
          yield { load: async () => wrap(await reader.readRecordBatch(i), i), through: (i + 1) / reader.numRecordBatches };
        }
      } else {
        let index = 0;
        for await (const batch of reader as AsyncIterable<RecordBatch>) {
          const table = wrap(batch, index++);
          yield { load: async () => table };
        }
      }
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`${path}: cannot read Arrow IPC: ${(error as Error).message}`);
    } finally {
      await handle?.close();
    }
  }
  return { units: units(), schema: () => reader.schema };
}

/**
 * The first row (of `data`) holding a string that is not UTF-8, in any string inside it (dictionaries,
 * structs, lists), else undefined. apache-arrow decodes strings with a TextDecoder that would silently put
 * U+FFFD in their place.
 */
function invalidUtf8Row(data: Data): number | undefined {
  const type = data.type;
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return invalidString(data);
  if (DataType.isDictionary(type)) {
    const dictionary = data.dictionary;
    let start = 0;
    for (const chunk of dictionary?.data ?? []) {
      const entry = invalidUtf8Row(chunk);
      if (entry !== undefined) {
        // the first row that uses the bad entry (an unused one harms no row)
        for (let i = 0; i < data.length; i++) if (data.getValid(i) && Number(data.values[data.offset + i]) === start + entry) return i;
      }
      start += chunk.length;
    }
    return undefined;
  }
  let first: number | undefined;
  for (const child of data.children ?? []) {
    const inner = invalidUtf8Row(child);
    if (inner === undefined) continue;
    const row = DataType.isStruct(type) ? inner : DataType.isList(type) || DataType.isLargeList(type) ? listRowOf(data, inner) : DataType.isFixedSizeList(type) ? Math.floor(inner / type.listSize) : inner;
    first = first === undefined ? row : Math.min(first, row);
  }
  return first;
}

function invalidString(data: Data): number | undefined {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  const bytes = data.values as Uint8Array;
  const at = (i: number) => Number(offsets[data.offset + i]);
  const start = at(0);
  const end = at(data.length);
  // all the bytes valid and every value starting on a character: then each value is valid alone
  if (isUtf8(bytes.subarray(start, end))) {
    let aligned = true;
    for (let i = 0; i < data.length && aligned; i++) if (at(i) < at(i + 1) && (bytes[at(i)] & 0xc0) === 0x80) aligned = false;
    if (aligned) return undefined;
  }
  for (let i = 0; i < data.length; i++) if (data.getValid(i) && !isUtf8(bytes.subarray(at(i), at(i + 1)))) return i;
  return undefined;
}

/** The list row whose values hold child value `index`. */
function listRowOf(data: Data, index: number): number {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  for (let i = 0; i < data.length; i++) if (Number(offsets[data.offset + i + 1]) > index) return i;
  return data.length - 1;
}
