// JSONL has no schema: column types are inferred from the first batch and then held fixed, so
// every batch of a file (and every shard) has the same Arrow schema.
import { Bool, DataType, Field, Float64, Int64, List, Schema, Struct, Type, Utf8, vectorFromArray, type Vector } from 'apache-arrow';

/** Thrown by conversion with a message about the value; the reader adds file, line and column. */
export class ValueMismatch extends Error {}

type Row = Record<string, unknown>;

/**
 * Infer an Arrow schema from parsed rows; keys in order of first appearance. Numbers are Int64 when
 * all are integers, unless `fractional` names the key: JSON.parse turns 2.0 into 2, so the raw text
 * (see addFractionalKeys) tells floats written as 2.0 apart. Throws ValueMismatch naming a mixed column.
 */
export function inferSchema(rows: Row[], fractional: ReadonlySet<string> = new Set()): Schema {
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
  return new Schema(names.map((name) => new Field(name, inferType(rows.map((r) => r[name]), name, fractional.has(name)), true)));
}

function inferType(values: unknown[], name: string, float: boolean): DataType {
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
      return !float && present.every((v) => Number.isInteger(v)) ? new Int64() : new Float64();
    case 'string':
      return new Utf8();
    case 'array':
      return new List(new Field('element', inferType((present as unknown[][]).flat(), `${name}[]`, float), true));
    default: {
      const inner = inferSchema(present as Row[]);
      return new Struct(inner.fields.map((f) => new Field(f.name, inferType((present as Row[]).map((r) => r[f.name]), `${name}.${f.name}`, float), true)));
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
      // JSON.parse has already rounded larger integers; refuse rather than store a different id
      if (!Number.isSafeInteger(value)) throw new ValueMismatch(`integer ${preview(value)} is beyond 2^53 and cannot be read exactly from JSON; store it as a string or use Parquet`);
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

/**
 * Add to `into` each top-level key of a JSON object line whose value holds a number literal with a
 * fraction or exponent (2.0, 1e-3). A scan of the raw text, since JSON.parse forgets how numbers were written.
 */
export function addFractionalKeys(text: string, into: Set<string>): void {
  let depth = 0;
  let key: string | null = null;
  let expectKey = false;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        key = JSON.parse(text.slice(i, j + 1)) as string;
        expectKey = false;
      }
      i = j + 1;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectKey = true;
      i++;
    } else if (c === '}' || c === ']') {
      depth--;
      i++;
    } else if (c === ',') {
      if (depth === 1) expectKey = true;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      let fraction = false;
      for (; j < text.length && '+-0123456789.eE'.includes(text[j]); j++) fraction ||= text[j] === '.' || text[j] === 'e' || text[j] === 'E';
      if (fraction && key !== null) into.add(key);
      i = j;
    } else i++;
  }
}
