import { RecordBatch, Struct, Table, makeData, vectorFromArray, type Schema } from 'apache-arrow';
import { UserError } from '../errors.js';
import { countRowsRead } from '../progress.js';
import { arrowUnits } from './arrow-read.js';
import { detectFormat, expandInputs } from './format.js';
import { DEFAULT_BATCH_ROWS, jsonlUnits } from './jsonl-read.js';
import { parquetUnits } from './parquet-read.js';
import { projectSchema } from './columns.js';
import type { Batch, BatchReader, Format, ReadOptions } from './types.js';
import type { FileUnits } from './units.js';
import { readSidecar, withSchemaMetadata } from './metadata.js';

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

  async function* batches(): AsyncGenerator<Batch> {
    let unitIndex = 0;
    let yielded = 0;
    let toSkip = options.skipRows ?? 0;
    let schema: Schema | null = null;
    for (const [i, file] of files.entries()) {
      const source = await unitsOf(file, formats[i], batchRows, formats[0] === 'jsonl' ? schema : null, options);
      // a JSONL file's metadata is in its sidecar: given back in the schema, as Parquet and Arrow do
      const sidecar = formats[i] === 'jsonl' && file !== '-' ? Object.fromEntries(await readSidecar(file)) : {};
      const withSidecar = (table: Table) => (Object.keys(sidecar).length > 0 ? withSchemaMetadata(table, sidecar) : table);
      let checked = false;
      for await (const unit of source.units) {
        // one input, one schema: the writer downstream holds a single schema
        if (!checked && schema && i > 0) checkSameColumns(files[0], schema, file, source.schema());
        checked = true;
        const mine = unitIndex++ % shard.count === shard.index;
        if (!mine) continue;
        if (toSkip > 0 && unit.rows !== undefined && unit.rows <= toSkip) {
          toSkip -= unit.rows;
          continue;
        }
        // a big Parquet row group comes in slices, so memory follows the slice, not the group
        const skipInUnit = unit.batches ? Math.min(toSkip, unit.rows ?? 0) : 0;
        toSkip -= skipInUnit;
        const tables = unit.batches ? unit.batches(skipInUnit) : [await unit.load()];
        for await (let table of tables) {
          if (toSkip > 0) {
            const cut = Math.min(toSkip, table.numRows);
            toSkip -= cut;
            table = table.slice(cut);
            if (table.numRows === 0) continue;
          }
          yielded++;
          countRowsRead(table.numRows);
          yield withSidecar(options.columns ? projectTable(table, options.columns) : table);
        }
      }
      if (!schema && source.schema()) schema = withSidecar(emptyTable(source.schema()!)).schema;
    }
    if (yielded === 0 && schema) yield emptyTable(options.columns ? projectSchema(schema, options.columns) : schema);
  }
  return {
    path: files.length === 1 ? files[0] : `${files[0]} (+${files.length - 1} more)`,
    format: formats[0],
    [Symbol.asyncIterator]: batches,
  };
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
      return arrowUnits(file, options);
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
