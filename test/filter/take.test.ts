// takeRows/splitRows against Arrow's own per-value reads of the source rows, over the column types a corpus holds.
import { Bool, Float64, Int32, Int64, List, Field, Utf8, makeVector, tableFromArrays, vectorFromArray, Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { splitRows } from '../../src/filter/take.js';

const plain = (v: unknown): unknown => (v && typeof v === 'object' && 'toArray' in (v as object) ? Array.from(v as Iterable<unknown>) : v);
const rowsOf = (t: Table | null) => (t ? Array.from({ length: t.numRows }, (_, i) => t.schema.fields.map((f) => plain(t.getChild(f.name)!.get(i)))) : []);

describe('splitRows', () => {
  it('partitions every row to one side, values, nulls and types intact, across record batches', () => {
    const n = 50;
    const make = (base: number) =>
      tableFromArrays({
        id: vectorFromArray(Array.from({ length: n }, (_, i) => `id-${base + i}-é`), new Utf8()),
        text: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : 'x'.repeat(i))), new Utf8()),
        copies: vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(base + i)), new Int64()),
        n32: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i)), new Int32()),
        x: makeVector(Float64Array.from({ length: n }, (_, i) => i / 3)),
        flag: vectorFromArray(Array.from({ length: n }, (_, i) => i % 2 === 0), new Bool()),
        tokens: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 4 === 0 ? null : [i, i + 1])), new List(new Field('item', new Int32(), true))),
      });
    const first = make(0);
    const table = new Table(first.schema, [...first.batches, ...make(n).batches]);
    expect(table.batches.length).toBe(2);
    const removed = Uint8Array.from({ length: 2 * n }, (_, i) => (i % 3 === 0 || (i > 60 && i < 70) ? 1 : 0));
    const [kept, dropped] = splitRows(table, removed);
    const all = rowsOf(table);
    expect(rowsOf(kept)).toEqual(all.filter((_, i) => !removed[i]));
    expect(rowsOf(dropped)).toEqual(all.filter((_, i) => removed[i]));
    expect(kept!.schema.fields.map((f) => String(f.type))).toEqual(table.schema.fields.map((f) => String(f.type)));
    expect(kept!.getChild('text')!.nullCount).toBe(all.filter((r, i) => !removed[i] && r[1] === null).length);
  });

  it('returns null for a side with no rows and the batch itself when nothing moves', () => {
    const table = tableFromArrays({ id: vectorFromArray(['a', 'b'], new Utf8()) });
    const [kept, dropped] = splitRows(table, new Uint8Array(2));
    expect(dropped).toBeNull();
    expect(kept!.batches[0]).toBe(table.batches[0]);
  });
});
