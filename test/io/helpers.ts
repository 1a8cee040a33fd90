// A table holding every column type memsieve passes through or appends, with nulls where allowed.
import { Bool, Field, Float64, Int32, Int64, List, Table, TimestampMicrosecond, Utf8, vectorFromArray } from 'apache-arrow';
import { columnValues } from '../../src/io/index.js';

export function sampleTable(start: number, n: number): Table {
  const rows = Array.from({ length: n }, (_, k) => start + k);
  return new Table({
    // beyond 2^53: a Number round trip would change it
    id: vectorFromArray(rows.map((i) => 9_007_199_254_740_993n + BigInt(i)), new Int64()),
    text: vectorFromArray(rows.map((i) => (i % 9 === 4 ? null : `row ${i} — naïve ✓ "q" \\ \n end`)), new Utf8()),
    copies: vectorFromArray(rows.map((i) => (i % 5 === 0 ? null : BigInt(i % 3))), new Int64()),
    teacher_nll: vectorFromArray(rows.map((i) => (i % 7 === 0 ? null : i % 11 === 0 ? 2 : i / 3)), new Float64()),
    n_tokens: vectorFromArray(rows.map((i) => i * 7), new Int32()),
    memorized: vectorFromArray(rows.map((i) => (i % 6 === 0 ? null : i % 2 === 0)), new Bool()),
    token_ids: vectorFromArray(
      rows.map((i) => (i % 8 === 3 ? null : Array.from({ length: i % 4 }, (_, j) => i + j))),
      new List(new Field('element', new Int32(), true)),
    ),
  });
}

export const withTimestamp = (t: Table) =>
  t.assign(new Table({ seen_at: vectorFromArray(Array.from({ length: t.numRows }, (_, i) => (i % 4 === 1 ? null : 1_700_000_000_000 + i)), new TimestampMicrosecond()) }));

/** Plain JS rows of a table (bigint, numbers, strings, arrays, null), for deep equality. */
export function plainColumns(t: Table): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const field of t.schema.fields) out[field.name] = Array.from(columnValues(t.getChild(field.name)!));
  return out;
}

export const typesOf = (t: Table) => t.schema.fields.map((f) => `${f.name}: ${String(f.type)}`);
