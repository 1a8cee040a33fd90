// Parquet schema <-> Arrow schema, both directions, so a column keeps its type through memsieve.
import {
  Binary, Bool, DataType, DateDay, Field, FixedSizeBinary, Float32, Float64, Int16, Int32, Int64, Int8, List,
  Precision, Schema, Struct, TimeMicrosecond, TimeMillisecond, Timestamp, TimeUnit, Uint16, Uint32, Uint64, Uint8, Utf8,
  Type,
} from 'apache-arrow';
import type { FileMetaData, SchemaElement, SchemaTree } from 'hyparquet';
import { parquetSchema } from 'hyparquet';
import { UserError } from '../errors.js';

/** Arrow schema of a Parquet file; `path` names the file in errors. */
export function arrowSchemaOf(metadata: FileMetaData, path: string): Schema {
  const root = parquetSchema(metadata);
  const fields = root.children.map((child) => arrowFieldOf(child, path));
  const meta = new Map<string, string>();
  for (const { key, value } of metadata.key_value_metadata ?? []) {
    // pyarrow's serialized schema describes its own writer's view; ours is rebuilt from Parquet
    if (key !== 'ARROW:schema' && value !== undefined) meta.set(key, value);
  }
  return new Schema(fields, meta);
}

function arrowFieldOf(tree: SchemaTree, path: string): Field {
  const { element } = tree;
  const nullable = element.repetition_type !== 'REQUIRED';
  return new Field(element.name, arrowTypeOf(tree, path), nullable);
}

function arrowTypeOf(tree: SchemaTree, path: string): DataType {
  const { element } = tree;
  const ctype = element.converted_type;
  const ltype = element.logical_type;
  if (tree.children.length > 0) {
    if (ctype === 'LIST' || ltype?.type === 'LIST') {
      const repeated = tree.children[0];
      // 3-level lists wrap the element in a repeated group; legacy 2-level lists repeat the element itself
      const item = repeated.children.length === 1 ? repeated.children[0] : repeated;
      const itemField =
        item === repeated
          ? new Field(item.element.name, arrowTypeOf({ ...item, element: { ...item.element, repetition_type: 'REQUIRED' } }, path), false)
          : arrowFieldOf(item, path);
      return new List(itemField);
    }
    if (ctype === 'MAP' || ltype?.type === 'MAP' || ctype === 'MAP_KEY_VALUE' || ltype?.type === 'VARIANT') {
      throw unsupported(path, element, `${ltype?.type ?? ctype}`);
    }
    return new Struct(tree.children.map((child) => arrowFieldOf(child, path)));
  }
  if (ctype === 'DECIMAL' || ltype?.type === 'DECIMAL') return new Float64();
  switch (element.type) {
    case 'BOOLEAN':
      return new Bool();
    case 'INT32':
      if (ctype === 'DATE' || ltype?.type === 'DATE') return new DateDay();
      if (ctype === 'TIME_MILLIS' || ltype?.type === 'TIME') return new TimeMillisecond();
      return intType(element, 32);
    case 'INT64':
      if (ctype === 'TIMESTAMP_MILLIS' || ctype === 'TIMESTAMP_MICROS' || ltype?.type === 'TIMESTAMP') {
        const unit = ltype?.type === 'TIMESTAMP' ? ltype.unit : ctype === 'TIMESTAMP_MILLIS' ? 'MILLIS' : 'MICROS';
        const utc = ltype?.type === 'TIMESTAMP' ? ltype.isAdjustedToUTC : true;
        return new Timestamp(ARROW_UNIT[unit], utc ? 'UTC' : null);
      }
      if (ctype === 'TIME_MICROS' || ltype?.type === 'TIME') return new TimeMicrosecond();
      return intType(element, 64);
    case 'INT96':
      return new Timestamp(TimeUnit.NANOSECOND, null);
    case 'FLOAT':
      return new Float32();
    case 'DOUBLE':
      return new Float64();
    case 'BYTE_ARRAY':
      if (ctype === 'UTF8' || ctype === 'ENUM' || ctype === 'JSON' || ltype?.type === 'STRING' || ltype?.type === 'ENUM' || ltype?.type === 'JSON') {
        return new Utf8();
      }
      if (ltype?.type === 'GEOMETRY' || ltype?.type === 'GEOGRAPHY' || ctype === 'BSON') throw unsupported(path, element, ltype?.type ?? ctype!);
      return new Binary();
    case 'FIXED_LEN_BYTE_ARRAY':
      if (ltype?.type === 'UUID') return new Utf8();
      if (ltype?.type === 'FLOAT16') return new Float32();
      return new FixedSizeBinary(element.type_length ?? 0);
    default:
      throw unsupported(path, element, String(element.type));
  }
}

const ARROW_UNIT = { MILLIS: TimeUnit.MILLISECOND, MICROS: TimeUnit.MICROSECOND, NANOS: TimeUnit.NANOSECOND } as const;

function intType(element: SchemaElement, physicalBits: 32 | 64): DataType {
  const ctype = element.converted_type;
  const ltype = element.logical_type;
  let bits: number = physicalBits;
  let signed = true;
  if (ltype?.type === 'INTEGER') {
    bits = ltype.bitWidth;
    signed = ltype.isSigned;
  } else if (ctype && /^U?INT_\d+$/.test(ctype)) {
    signed = !ctype.startsWith('U');
    bits = Number(ctype.split('_')[1]);
  }
  if (signed) return bits === 8 ? new Int8() : bits === 16 ? new Int16() : bits === 32 ? new Int32() : new Int64();
  return bits === 8 ? new Uint8() : bits === 16 ? new Uint16() : bits === 32 ? new Uint32() : new Uint64();
}

function unsupported(path: string, element: SchemaElement, what: string): UserError {
  return new UserError(`${path}: column '${element.name}' has Parquet type ${what}, which memsieve cannot read; drop or cast it first`);
}

/** Flattened (pre-order) Parquet schema for an Arrow schema, root included. */
export function parquetSchemaOf(schema: Schema, path: string): SchemaElement[] {
  const elements: SchemaElement[] = [{ name: 'root', num_children: schema.fields.length }];
  for (const field of schema.fields) elements.push(...parquetElementsOf(field, path));
  return elements;
}

function parquetElementsOf(field: Field, path: string): SchemaElement[] {
  const repetition_type = field.nullable ? 'OPTIONAL' : 'REQUIRED';
  const name = field.name;
  const type = field.type as DataType;
  switch (type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Null:
      return [{ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: type.typeId === Type.Null ? 'OPTIONAL' : repetition_type }];
    case Type.Binary:
    case Type.LargeBinary:
      return [{ name, type: 'BYTE_ARRAY', repetition_type }];
    case Type.FixedSizeBinary:
      return [{ name, type: 'FIXED_LEN_BYTE_ARRAY', type_length: (type as FixedSizeBinary).byteWidth, repetition_type }];
    case Type.Bool:
      return [{ name, type: 'BOOLEAN', repetition_type }];
    case Type.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      // converted type only: hyparquet-writer 0.17 writes INTEGER's bitWidth with the wrong Thrift type and DuckDB rejects the file
      if (bitWidth === 64) return [isSigned ? { name, type: 'INT64', repetition_type } : { name, type: 'INT64', converted_type: 'UINT_64', repetition_type }];
      if (bitWidth === 32 && isSigned) return [{ name, type: 'INT32', repetition_type }];
      const converted_type = `${isSigned ? '' : 'U'}INT_${bitWidth}` as SchemaElement['converted_type'];
      return [{ name, type: 'INT32', converted_type, repetition_type }];
    }
    case Type.Float:
      return [{ name, type: (type as Float32).precision === Precision.DOUBLE ? 'DOUBLE' : 'FLOAT', repetition_type }];
    case Type.Timestamp: {
      const { unit, timezone } = type as Timestamp;
      const pqUnit = unit === TimeUnit.NANOSECOND ? 'NANOS' : unit === TimeUnit.MICROSECOND ? 'MICROS' : 'MILLIS';
      return [{ name, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: timezone != null, unit: pqUnit }, repetition_type }];
    }
    case Type.Date:
      if ((type as DateDay).unit === 0) return [{ name, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' }, repetition_type }];
      return [{ name, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' }, repetition_type }];
    case Type.Dictionary:
      return parquetElementsOf(new Field(name, (type as unknown as { dictionary: DataType }).dictionary, field.nullable), path);
    case Type.List:
    case Type.FixedSizeList: {
      const item = (type as List).children[0];
      return [
        { name, repetition_type, converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...parquetElementsOf(new Field('element', item.type, item.nullable), path),
      ];
    }
    case Type.Struct: {
      const children = (type as Struct).children;
      return [{ name, repetition_type, num_children: children.length }, ...children.flatMap((child) => parquetElementsOf(child, path))];
    }
    default:
      throw new UserError(`${path}: column '${name}' has Arrow type ${String(type)}, which memsieve cannot write to Parquet; write .arrow instead`);
  }
}
