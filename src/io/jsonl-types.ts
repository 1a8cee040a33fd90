// JSONL has no schema: column types are inferred from the first batch and then held fixed, so
// every batch of a file (and every shard) has the same Arrow schema.
import { Bool, DataType, Field, Float64, Int64, List, Schema, Struct, Type, Utf8, vectorFromArray, type Vector } from 'apache-arrow';

/** Thrown by conversion with a message about the value; the reader adds file, line and column. */
export class ValueMismatch extends Error {}

type Row = Record<string, unknown>;

/** Infer an Arrow schema from parsed rows; keys in order of first appearance. Throws ValueMismatch naming a mixed column. */
export function inferSchema(rows: Row[]): Schema {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        names.push(key);
      }
    }
  }
  return new Schema(names.map((name) => new Field(name, inferType(rows.map((r) => r[name]), name), true)));
}

function inferType(values: unknown[], name: string): DataType {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return new Utf8();
  const kinds = new Set(present.map(kindOf));
  if (kinds.size > 1) {
    throw new ValueMismatch(`column '${name}' mixes JSON ${[...kinds].join(' and ')} values; a JSONL column needs one type`);
  }
  const [kind] = kinds;
  switch (kind) {
    case 'boolean':
      return new Bool();
    case 'number':
      return present.every((v) => Number.isInteger(v)) ? new Int64() : new Float64();
    case 'string':
      return new Utf8();
    case 'array':
      return new List(new Field('element', inferType((present as unknown[][]).flat(), `${name}[]`), true));
    default: {
      const inner = inferSchema(present as Row[]);
      return new Struct(inner.fields.map((f) => new Field(f.name, inferType((present as Row[]).map((r) => r[f.name]), `${name}.${f.name}`), true)));
    }
  }
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

/** A JSON value as the Arrow builder wants it for `type`; throws ValueMismatch when it does not fit. */
export function toArrowValue(type: DataType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case Type.Int:
      if (!Number.isInteger(value)) throw new ValueMismatch(`expected an integer, got ${preview(value)}`);
      return BigInt(value as number);
    case Type.Float:
      if (typeof value !== 'number') throw new ValueMismatch(`expected a number, got ${preview(value)}`);
      return value;
    case Type.Bool:
      if (typeof value !== 'boolean') throw new ValueMismatch(`expected true/false, got ${preview(value)}`);
      return value;
    case Type.Utf8:
      if (typeof value !== 'string') throw new ValueMismatch(`expected a string, got ${preview(value)}`);
      return value;
    case Type.List: {
      if (!Array.isArray(value)) throw new ValueMismatch(`expected an array, got ${preview(value)}`);
      const item = (type as List).children[0].type;
      return value.map((v) => toArrowValue(item, v));
    }
    case Type.Struct: {
      if (typeof value !== 'object' || Array.isArray(value)) throw new ValueMismatch(`expected an object, got ${preview(value)}`);
      const fields = (type as Struct).children;
      const out: Row = {};
      for (const key of Object.keys(value as Row)) {
        if (!fields.some((f) => f.name === key)) throw new ValueMismatch(`key '${key}' is not among the keys seen in the first batch`);
      }
      for (const f of fields) out[f.name] = toArrowValue(f.type, (value as Row)[f.name]);
      return out;
    }
    default:
      throw new Error(`JSONL column type ${String(type)} not handled`);
  }
}

export function vectorOfJson(values: unknown[], type: DataType): Vector {
  return vectorFromArray(values, type);
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
