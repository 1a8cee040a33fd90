import { open } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import {
  DataType, Table, makeData, vectorFromArray, type Data, type Schema, type Vector, RecordBatch, Struct, Type,
  makeVector, Utf8,
} from 'apache-arrow';
import { parquetMetadataAsync, parquetRead, type ColumnData, type DecodedArray, type FileMetaData, type RowGroup } from 'hyparquet';
import { UserError } from '../errors.js';
import { asyncBufferFromHandle } from './file-buffer.js';
import { parquetDecompressors } from './zstd.js';
import { arrowSchemaOf } from './parquet-types.js';
import type { FileUnits, ReadUnit } from './units.js';
import type { InputNaming } from './types.js';
import { checkOption } from './format.js';
import { projectSchema } from './columns.js';
import { pageLocationsOf } from './parquet-pages.js';
import { ROW_GROUP_ROWS } from './parquet-write.js';

const MAGIC = 'PAR1';

// Values as Arrow stores them: temporal integers (a JS Date would round ns/us), JSON as text.
const RAW_PARSERS = {
  timestampFromMilliseconds: (v: bigint) => v,
  timestampFromMicroseconds: (v: bigint) => v,
  timestampFromNanoseconds: (v: bigint) => v,
  dateFromDays: (v: number) => v,
  jsonFromBytes: (bytes: Uint8Array) => new TextDecoder().decode(bytes),
  // strings stay UTF-8 bytes: Arrow stores bytes, so decoding to JS strings and re-encoding would only cost time
  stringFromBytes: (bytes: Uint8Array) => bytes,
};

/**
 * A Parquet file as row-group units: only the footer is read up front, then one row group per `load()`;
 * a group larger than a slice (SLICE_ROWS, SLICE_BYTES) also offers `batches()`, slice by slice.
 */
export async function parquetUnits(path: string, columns?: string[], naming?: InputNaming): Promise<FileUnits> {
  const handle = await openOrFail(path, naming);
  const { size } = await handle.stat();
  const file = asyncBufferFromHandle(handle, size);
  let metadata: FileMetaData;
  let schema: Schema;
  try {
    await checkMagic(path, file, size, naming);
    metadata = await parquetMetadataAsync(file);
    schema = arrowSchemaOf(metadata, path);
    if (columns) schema = projectSchema(schema, columns);
  } catch (error) {
    await handle.close();
    throw asUserError(path, error);
  }
  async function* units(): AsyncGenerator<ReadUnit> {
    try {
      let groupStart = 0;
      for (const [index, group] of metadata.row_groups.entries()) {
        const rowStart = groupStart;
        const rowEnd = groupStart + Number(group.num_rows);
        groupStart = rowEnd;
        const read: RowGroupRead = { path, file, metadata, schema, index, rowStart, rowEnd };
        const sliceRows = sliceRowsOf(group, schema);
        yield {
          rows: rowEnd - rowStart,
          through: rowEnd / Math.max(Number(metadata.num_rows), 1),
          load: () => readRowGroup(read),
          ...(rowEnd - rowStart > sliceRows ? { batches: (skip: number) => readSlices(read, sliceRows, skip) } : {}),
        };
      }
    } finally {
      await handle.close();
    }
  }
  return { units: units(), schema: () => schema };
}

/** The rows of each row group, from the footer alone (progress totals before reading). */
export async function parquetRowGroupRows(path: string): Promise<number[]> {
  const handle = await openOrFail(path);
  try {
    const { size } = await handle.stat();
    const metadata = await parquetMetadataAsync(asyncBufferFromHandle(handle, size));
    return metadata.row_groups.map((group) => Number(group.num_rows));
  } finally {
    await handle.close();
  }
}

/**
 * A row group bigger than this is read in slices, so memory follows the slice, not the writer's choice
 * of row group (pyarrow's default holds up to 1,048,576 rows). The same bounds as the groups memsieve writes.
 */
export const SLICE_ROWS = ROW_GROUP_ROWS;
export const SLICE_BYTES = 32 << 20;

/** Rows per slice of `group`: at most SLICE_ROWS, and about SLICE_BYTES of the columns read (uncompressed). */
function sliceRowsOf(group: RowGroup, schema: Schema): number {
  const rows = Number(group.num_rows);
  const names = new Set(schema.fields.map((f) => f.name));
  let bytes = 0;
  for (const chunk of group.columns) {
    if (chunk.meta_data && names.has(chunk.meta_data.path_in_schema[0])) bytes += Number(chunk.meta_data.total_uncompressed_size);
  }
  const perRow = bytes / Math.max(rows, 1);
  return Math.max(1, Math.min(SLICE_ROWS, Math.floor(SLICE_BYTES / Math.max(perRow, 1))));
}

/**
 * A row group in slices of `sliceRows`, leaving out its first `skip` rows. With the pages located
 * (parquet-pages.ts), the group is decoded in ranges that end on page boundaries of its biggest
 * column, each page fetched and decompressed once, and each range is cut into slices: memory holds
 * one range's pages and one slice. (Writers with huge pages, as DuckDB's of ~100 MB, set the floor:
 * a page is the smallest unit Parquet can decompress.) A group whose pages cannot be placed by row
 * is read whole, as before.
 */
async function* readSlices(read: RowGroupRead, sliceRows: number, skip: number): AsyncGenerator<Table> {
  const { rowStart, file, metadata, schema, index } = read;
  const group = metadata.row_groups[index];
  let locations;
  try {
    locations = await pageLocationsOf(file, metadata, group, schema.fields.map((f) => f.name));
  } catch (error) {
    throw new UserError(`${read.path}: row group ${index}: cannot read page headers: ${(error as Error).message}`);
  }
  if (!locations) {
    yield await readRowGroup({ ...read, rowStart: rowStart + skip });
    return;
  }
  const pageLocationsByGroup = metadata.row_groups.map((_, i) => (i === index ? locations : undefined));
  let chunks: Map<string, ColumnData[]> | undefined;
  for (const [start, end] of decodeRanges(group, locations, sliceRows)) {
    const from = Math.max(rowStart + start, rowStart + skip);
    if (from >= rowStart + end) continue;
    const range = { ...read, rowStart: from, rowEnd: rowStart + end, pageLocationsByGroup };
    chunks = undefined; // let the last range's pages go before the next are fetched
    chunks = await decodeRange(range);
    for (let s = from; s < range.rowEnd; s += sliceRows) yield tableOf(range, chunks, s, Math.min(s + sliceRows, range.rowEnd));
  }
}

/** Row ranges of a group (group-relative) of at least `sliceRows` rows, ending on page boundaries of its biggest column. */
function decodeRanges(group: RowGroup, locations: Record<string, { first_row_index: bigint }[]>, sliceRows: number): [number, number][] {
  let biggest: string | undefined;
  let bytes = -1;
  for (const chunk of group.columns) {
    const meta = chunk.meta_data!;
    const path = meta.path_in_schema.join('.');
    if (locations[path] && Number(meta.total_uncompressed_size) > bytes) {
      biggest = path;
      bytes = Number(meta.total_uncompressed_size);
    }
  }
  const rows = Number(group.num_rows);
  const ranges: [number, number][] = [];
  let start = 0;
  for (const page of biggest ? locations[biggest] : []) {
    const pageStart = Number(page.first_row_index);
    if (pageStart - start >= sliceRows) {
      ranges.push([start, pageStart]);
      start = pageStart;
    }
  }
  if (start < rows) ranges.push([start, rows]);
  return ranges;
}

async function openOrFail(path: string, naming?: InputNaming) {
  try {
    return await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: no such file${checkOption(naming)}`);
    if (code === 'EISDIR') throw new UserError(`${path}: is a directory`);
    throw error;
  }
}

async function checkMagic(path: string, file: ReturnType<typeof asyncBufferFromHandle>, size: number, naming?: InputNaming) {
  const text = (bytes: ArrayBuffer) => Buffer.from(bytes).toString('latin1');
  const ok = size >= 12 && text(await file.slice(0, 4)) === MAGIC && text(await file.slice(size - 4, size)) === MAGIC;
  if (!ok) throw new UserError(`${path}: not a Parquet file (no PAR1 marker at start and end); check the file${naming?.formatOption ? ', or pass --format if the extension is wrong' : ''}`);
}

function asUserError(path: string, error: unknown): Error {
  if (error instanceof UserError) return error;
  return new UserError(`${path}: cannot read Parquet: ${(error as Error).message}`);
}

interface RowGroupRead {
  path: string;
  file: ReturnType<typeof asyncBufferFromHandle>;
  metadata: FileMetaData;
  schema: Schema;
  index: number;
  rowStart: number;
  rowEnd: number;
  /** hyparquet reads only the pages of [rowStart, rowEnd) given these (not in its typed options) */
  pageLocationsByGroup?: unknown[];
}

async function readRowGroup(read: RowGroupRead): Promise<Table> {
  return tableOf(read, await decodeRange(read), read.rowStart, read.rowEnd);
}

/** Decoded values of rows [rowStart, rowEnd) by column, in hyparquet's chunks (which may run past the range). */
async function decodeRange({ path, file, metadata, schema, index, rowStart, rowEnd, pageLocationsByGroup }: RowGroupRead): Promise<Map<string, ColumnData[]>> {
  const chunks = new Map<string, ColumnData[]>();
  try {
    await parquetRead({
      file,
      metadata,
      columns: schema.fields.map((field) => field.name),
      rowStart,
      rowEnd,
      compressors: parquetDecompressors(),
      utf8: false,
      parsers: RAW_PARSERS,
      ...(pageLocationsByGroup ? { pageLocationsByGroup } : {}),
      onChunk: (chunk) => {
        const list = chunks.get(chunk.columnName) ?? [];
        list.push(chunk);
        chunks.set(chunk.columnName, list);
      },
    });
  } catch (error) {
    throw new UserError(`${path}: row group ${index}: cannot decode Parquet: ${(error as Error).message}`);
  }
  return chunks;
}

/** Rows [rowStart, rowEnd) of decoded chunks as an Arrow table (values copied: the table does not pin a page). */
function tableOf({ path, schema, index }: RowGroupRead, chunks: Map<string, ColumnData[]>, rowStart: number, rowEnd: number): Table {
  const length = rowEnd - rowStart;
  const children = schema.fields.map((field) => {
    const values = rowsOf(chunks.get(field.name) ?? [], rowStart, rowEnd);
    if (values.length !== length) throw new UserError(`${path}: row group ${index}: column '${field.name}' has ${values.length} values, expected ${length}`);
    // the rule JSONL follows (jsonl-read.ts): bytes that are not UTF-8 are refused, not replaced by U+FFFD
    const invalidUtf8 = (i: number): never => {
      throw new UserError(`${path}: row ${rowStart + i}: column '${field.name}': invalid UTF-8; Parquet strings must be UTF-8 (re-encode the column, or drop the row)`);
    };
    return vectorOf(values, field.type, invalidUtf8).data[0];
  });
  const data = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children });
  return new Table(schema, new RecordBatch(schema, data));
}

/** Concatenate a column's chunks and cut them to [rowStart, rowEnd) (chunks may hold rows outside the range). */
function rowsOf(chunks: ColumnData[], rowStart: number, rowEnd: number): DecodedArray {
  chunks.sort((a, b) => a.rowStart - b.rowStart);
  const pieces = chunks.map((c) => c.columnData.slice(Math.max(0, rowStart - c.rowStart), Math.max(0, Math.min(c.columnData.length, rowEnd - c.rowStart))));
  if (pieces.length === 1) return pieces[0];
  const first = pieces[0];
  if (first && ArrayBuffer.isView(first) && pieces.every((p) => p.constructor === first.constructor)) {
    const Ctor = first.constructor as new (n: number) => { set(a: ArrayLike<unknown>, o: number): void } & DecodedArray;
    const out = new Ctor(pieces.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of pieces) {
      out.set(p as ArrayLike<unknown>, offset);
      offset += p.length;
    }
    return out;
  }
  return pieces.flatMap((p) => Array.from(p as ArrayLike<unknown>));
}

/** Arrow vector of one Parquet column; fixed-width columns are built straight from their typed arrays. */
export function vectorOf(values: DecodedArray, type: DataType, invalidUtf8: (row: number) => never): Vector {
  const ArrayType = fixedWidthArrayType(type);
  if (type.typeId === Type.Utf8) return utf8Vector(values as ArrayLike<Uint8Array | string | null | undefined>, invalidUtf8);
  // hyparquet gives undefined for a null list; Arrow's builders want null
  if (!ArrayType) {
    const nestedText = (type.children?.length ?? 0) > 0 && String(type).includes('Utf8');
    const decode = (v: unknown, i: number) => {
      try {
        return decodeNested(v);
      } catch {
        return invalidUtf8(i);
      }
    };
    return vectorFromArray(Array.from(values as ArrayLike<unknown>, (v, i) => (nestedText ? decode(v ?? null, i) : (v ?? null))), type);
  }
  const length = values.length;
  if (values instanceof ArrayType) return makeVector(makeData({ type, length, nullCount: 0, data: values } as never));
  const typed = new ArrayType(length);
  const validity = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  const isBig = typed instanceof BigInt64Array || typed instanceof BigUint64Array;
  for (let i = 0; i < length; i++) {
    const v = (values as ArrayLike<unknown>)[i];
    if (v === null || v === undefined) {
      nullCount++;
      continue;
    }
    validity[i >> 3] |= 1 << (i & 7);
    (typed as unknown as unknown[])[i] = isBig ? BigInt(v as number | bigint) : Number(v);
  }
  const data = makeData({ type, length, nullCount, nullBitmap: nullCount > 0 ? validity : undefined, data: typed } as never) as Data;
  return makeVector(data);
}

/** Utf8 vector straight from UTF-8 byte strings (strings, e.g. JSON columns, are encoded). */
function utf8Vector(values: ArrayLike<Uint8Array | string | null | undefined>, invalidUtf8: (row: number) => never): Vector {
  const encoder = new TextEncoder();
  const length = values.length;
  const bytes: (Uint8Array | null)[] = new Array(length);
  const valueOffsets = new Int32Array(length + 1);
  const validity = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  let total = 0;
  for (let i = 0; i < length; i++) {
    const v = values[i];
    const b = v === null || v === undefined ? null : typeof v === 'string' ? encoder.encode(v) : v;
    if (b !== null && typeof v !== 'string' && !isUtf8(b)) invalidUtf8(i);
    bytes[i] = b;
    if (b === null) nullCount++;
    else {
      validity[i >> 3] |= 1 << (i & 7);
      total += b.length;
    }
    valueOffsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < length; i++) if (bytes[i]) data.set(bytes[i]!, valueOffsets[i]);
  return makeVector(makeData({ type: new Utf8(), length, nullCount, nullBitmap: nullCount > 0 ? validity : undefined, valueOffsets, data }));
}

/** Strings nested in lists or structs, still bytes from the raw parser, become JS strings for Arrow's builders. */
function decodeNested(value: unknown): unknown {
  if (value instanceof Uint8Array) return textDecoder.decode(value);
  if (Array.isArray(value)) return value.map(decodeNested);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeNested(v)]));
  }
  return value;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

type TypedArrayCtor = new (n: number) => ArrayBufferView & ArrayLike<number | bigint>;

function fixedWidthArrayType(type: DataType): TypedArrayCtor | undefined {
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Timestamp:
    case Type.Date:
    case Type.Time:
      // Float16 stores uint16 bits; let the builder convert numbers for it
      if (DataType.isFloat(type) && type.precision === 0) return undefined;
      return type.ArrayType as unknown as TypedArrayCtor;
    default:
      return undefined;
  }
}
