import { DataType, Field, Precision, RecordBatch, Schema, Struct, Table, Vector, makeData, vectorFromArray } from 'apache-arrow';
import { UserError } from '../errors.js';
import type { Batch } from './types.js';

/**
 * The batch with `columns` appended after every input column. Input columns, their types and the
 * schema metadata are untouched; appending a name the input already has is a UserError (it would
 * silently shadow data).
 */
export function withColumns(batch: Batch, columns: Record<string, Vector>): Batch {
  const added = Object.entries(columns);
  for (const [name, vector] of added) {
    if (batch.schema.fields.some((f) => f.name === name)) {
      throw new UserError(`input already has a column '${name}'; rename or drop it before adding it again`);
    }
    if (vector.length !== batch.numRows) {
      throw new Error(`column '${name}' has ${vector.length} values for a batch of ${batch.numRows} rows`);
    }
  }
  const fields = [...batch.schema.fields, ...added.map(([name, v]) => new Field(name, v.type, true))];
  const schema = new Schema(fields, batch.schema.metadata);
  if (batch.batches.length === 0) {
    return new Table(schema, new RecordBatch(schema, structData(schema, [...fields.map((f) => emptyChild(f.type))], 0)));
  }
  const batches: RecordBatch[] = [];
  let offset = 0;
  for (const rb of batch.batches) {
    const children = [...rb.data.children, ...added.map(([, v]) => contiguousSlice(v, offset, offset + rb.numRows))];
    batches.push(new RecordBatch(schema, structData(schema, children, rb.numRows)));
    offset += rb.numRows;
  }
  return new Table(schema, batches);
}

/** The batch with these schema metadata entries set (Parquet key-value metadata, Arrow schema metadata). */
export function withSchemaMetadata(batch: Batch, entries: Record<string, string>): Batch {
  const metadata = new Map(batch.schema.metadata);
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  const schema = new Schema(batch.schema.fields, metadata);
  if (batch.batches.length === 0) return new Table(schema, new RecordBatch(schema, structData(schema, schema.fields.map((f) => emptyChild(f.type)), 0)));
  return new Table(schema, batch.batches.map((rb) => new RecordBatch(schema, rb.data)));
}

function structData(schema: Schema, children: ReturnType<typeof makeData>[], length: number) {
  return makeData({ type: new Struct(schema.fields), length, nullCount: 0, children });
}

function emptyChild(type: DataType) {
  return vectorFromArray([], type).data[0];
}

/** Rows [begin, end) of a vector as one Data chunk (record batch children must be single chunks). */
function contiguousSlice(vector: Vector, begin: number, end: number) {
  const slice = vector.slice(begin, end);
  if (slice.data.length === 1) return slice.data[0];
  return vectorFromArray(Array.from(columnValues(slice)), vector.type).data[0];
}

/**
 * A column's values as plain JS: numbers, bigint for 64-bit integers, strings, booleans, null for
 * nulls, arrays for lists, objects for structs. Null-free fixed-width columns come back as one typed array.
 */
export function columnValues(vector: Vector): ArrayLike<unknown> {
  const type = vector.type;
  const numeric = DataType.isInt(type) || (DataType.isFloat(type) && type.precision !== Precision.HALF);
  if (numeric && vector.nullCount === 0) return vector.toArray() as ArrayLike<unknown>;
  const values = new Array(vector.length);
  for (let i = 0; i < vector.length; i++) values[i] = jsValue(vector.get(i));
  return values;
}

export function jsValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Vector) return Array.from(value as Iterable<unknown>, jsValue);
  if (typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    const json = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
    if (Array.isArray(json)) return json.map(jsValue);
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(json as Record<string, unknown>)) out[key] = jsValue(inner);
    return out;
  }
  return value;
}

/** All rows of a table's column as plain JS values (see columnValues); null when the column is absent. */
export function tableColumnValues(table: Table, name: string): ArrayLike<unknown> | null {
  const column = table.getChild(name);
  return column ? columnValues(column) : null;
}

/** The requested columns the schema has, in the schema's order. */
export function projectSchema(schema: Schema, columns: string[]): Schema {
  return new Schema(schema.fields.filter((field) => columns.includes(field.name)), schema.metadata);
}
