import { RecordBatch, Struct, Table, makeData, vectorFromArray, type Schema } from 'apache-arrow';
import { UserError } from '../errors.js';
import { countRowsRead } from '../progress.js';
import { arrowUnits } from './arrow-read.js';
import { detectFormat, expandInputs } from './format.js';
import { DEFAULT_BATCH_ROWS, jsonlUnits } from './jsonl-read.js';
import { parquetRowGroupRows, parquetUnits } from './parquet-read.js';
import { statSync } from 'node:fs';
import { projectSchema } from './columns.js';
import type { Batch, BatchReader, ExpectedRows, Format, ReadOptions } from './types.js';
import type { FileUnits } from './units.js';
import { readSidecar } from './metadata.js';
import { withSchemaMetadata } from './columns.js';

export interface Shard {
  /** 0-based */
  index: number;
  count: number;
}

export type OpenReaderOptions = ReadOptions & { shard?: Shard };

/**
 * Stream one or more inputs as Arrow tables. A directory stands for its data files sorted by name.
 * With `shard`, units (Parquet row groups, Arrow record batches, JSONL chunks of `batchRows` lines),
 * numbered across all files in order, are taken where unit % count == index: shards partition the
 * rows, and shard outputs concatenated in unit order equal the unsharded read.
 * When no unit is selected (an empty shard) one zero-row table with the input schema is yielded,
 * so writers still learn the columns.
 */
export function openReader(paths: string | string[], options: OpenReaderOptions = {}): BatchReader {
  const files = expandInputs(paths, options.format, options);
  const shard = options.shard ?? { index: 0, count: 1 };
  checkShard(shard);
  const formats = files.map((file) => detectFormat(file, options.format, options));
  if (files.filter((f) => f === '-').length > 1) throw new UserError("'-' (stdin) can be read once only");
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new UserError(`--batch-rows ${batchRows}: must be a positive integer`);

  // progress: the share of the input read, each file weighted by its size, and the rows seen so far
  const sizes = files.map((file) => (file === '-' ? undefined : statSync(file, { throwIfNoEntry: false })?.size));
  const totalBytes = sizes.every((s) => s !== undefined) ? sizes.reduce<number>((sum, s) => sum + s!, 0) : undefined;
  let bytesDone = 0;
  let rowsSeen = 0;
  let exactRows: number | undefined;
  const skipRows = options.skipRows ?? 0;
  function expected(): ExpectedRows | undefined {
    if (exactRows !== undefined) return { rows: Math.max(exactRows - skipRows, 0), exact: true };
    if (!totalBytes || bytesDone <= 0 || rowsSeen === 0) return undefined;
    return { rows: Math.max(Math.round((rowsSeen * totalBytes) / bytesDone) - skipRows, 0), exact: false };
  }

  async function* batches(): AsyncGenerator<Batch> {
    let unitIndex = 0;
    let yielded = 0;
    let toSkip = skipRows;
    let schema: Schema | null = null;
    if (formats.every((f) => f === 'parquet') && files.length <= EXACT_TOTAL_FILES) exactRows = await shardRows(files, shard).catch(() => undefined); // a bad file is named by its reader below
    for (const [i, file] of files.entries()) {
      const source = await unitsOf(file, formats[i], batchRows, formats[0] === 'jsonl' ? schema : null, options);
      // a JSONL file's metadata is in its sidecar: given back in the schema, as Parquet and Arrow do
      const sidecar = formats[i] === 'jsonl' && file !== '-' ? Object.fromEntries(await readSidecar(file)) : {};
      const withSidecar = (table: Table) => (Object.keys(sidecar).length > 0 ? withSchemaMetadata(table, sidecar) : table);
      let checked = false;
      const fileStart = sizes.slice(0, i).reduce<number>((sum, s) => sum + (s ?? 0), 0);
      for await (const unit of source.units) {
        // one input, one schema: the writer downstream holds a single schema
        if (!checked && schema && i > 0) checkSameColumns(files[0], schema, file, source.schema());
        checked = true;
        const advance = () => {
          if (unit.through !== undefined && sizes[i] !== undefined) bytesDone = fileStart + sizes[i]! * unit.through;
        };
        const mine = unitIndex++ % shard.count === shard.index;
        if (!mine) {
          advance();
          continue;
        }
        if (toSkip > 0 && unit.rows !== undefined && unit.rows <= toSkip) {
          toSkip -= unit.rows;
          rowsSeen += unit.rows;
          advance();
          continue;
        }
        // a big Parquet row group comes in slices, so memory follows the slice, not the group
        const skipInUnit = unit.batches ? Math.min(toSkip, unit.rows ?? 0) : 0;
        toSkip -= skipInUnit;
        const tables = unit.batches ? unit.batches(skipInUnit) : [await unit.load()];
        for await (let table of tables) {
          rowsSeen += table.numRows;
          if (toSkip > 0) {
            const cut = Math.min(toSkip, table.numRows);
            toSkip -= cut;
            table = table.slice(cut);
            if (table.numRows === 0) continue;
          }
          advance();
          yielded++;
          countRowsRead(table.numRows, reader);
          yield withSidecar(options.columns ? projectTable(table, options.columns) : table);
        }
      }
      if (!schema && source.schema()) schema = withSidecar(emptyTable(source.schema()!)).schema;
      if (sizes[i] !== undefined) bytesDone = fileStart + sizes[i]!;
    }
    if (yielded === 0 && schema) yield emptyTable(options.columns ? projectSchema(schema, options.columns) : schema);
  }
  const reader: BatchReader = {
    path: files.length === 1 ? files[0] : `${files[0]} (+${files.length - 1} more)`,
    files,
    format: formats[0],
    expected,
    [Symbol.asyncIterator]: batches,
  };
  return reader;
}

/** Up to this many Parquet files, the footers are read first for an exact total; more are estimated as read. */
const EXACT_TOTAL_FILES = 64;

/** The rows of the units a shard owns, from the Parquet footers. */
async function shardRows(files: string[], shard: Shard): Promise<number> {
  let unitIndex = 0;
  let rows = 0;
  for (const file of files) {
    for (const groupRows of await parquetRowGroupRows(file)) if (unitIndex++ % shard.count === shard.index) rows += groupRows;
  }
  return rows;
}

function checkShard({ index, count }: Shard) {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new UserError(`--shard ${index}/${count}: need 0 <= index < count`);
  }
}

function checkSameColumns(firstFile: string, first: Schema, file: string, schema: Schema | null) {
  if (!schema) return;
  const describe = (s: Schema) => s.fields.map((f) => `${f.name}: ${String(f.type)}`).join(', ');
  if (describe(first) !== describe(schema)) {
    throw new UserError(`${file}: columns [${describe(schema)}] differ from ${firstFile} [${describe(first)}]; inputs read together need the same columns and types`);
  }
}

function unitsOf(file: string, format: Format, batchRows: number, schema: Schema | null, options: ReadOptions): Promise<FileUnits> {
  switch (format) {
    case 'parquet':
      if (file === '-') throw new UserError("Parquet cannot be read from stdin ('-'); pass a file, or stream Arrow IPC");
      return parquetUnits(file, options.columns, options);
    case 'arrow':
      return arrowUnits(file, options, options.columns);
    case 'jsonl':
      return jsonlUnits(file, batchRows, schema, options);
  }
}

function projectTable(table: Table, columns: string[]): Table {
  const keep = table.schema.fields.map((f) => f.name).filter((name) => columns.includes(name));
  return keep.length === table.schema.fields.length ? table : table.select(keep);
}

export function emptyTable(schema: Schema): Table {
  const children = schema.fields.map((f) => vectorFromArray([], f.type).data[0]);
  const data = makeData({ type: new Struct(schema.fields), length: 0, nullCount: 0, children });
  return new Table(schema, new RecordBatch(schema, data));
}
