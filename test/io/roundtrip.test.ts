import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table } from 'apache-arrow';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { columnValues, openReader, openWriter, readTable } from '../../src/io/index.js';
import { tempDir } from '../helpers/kit.js';
import { plainColumns, sampleTable, typesOf, withTimestamp } from './helpers.js';
import { lacks } from '../helpers/system.js';

async function writeAll(path: string, batches: Table[], options = {}) {
  const writer = await openWriter(path, options);
  for (const batch of batches) await writer.write(batch);
  await writer.close();
  return writer.rowsWritten;
}

const batches = () => [withTimestamp(sampleTable(0, 700)), withTimestamp(sampleTable(700, 650))];
const expected = () => new Table([...batches()[0].batches, ...batches()[1].batches]);

describe('round trip keeps every column, type and value', () => {
  for (const name of ['t.parquet', 't.arrow', 't.feather', 't.arrows']) {
    it(name, async () => {
      const path = join(tempDir(), name);
      expect(await writeAll(path, batches(), { rowGroupRows: 500 })).toBe(1350);
      const back = await readTable(path);
      expect(typesOf(back)).toEqual(typesOf(expected()));
      expect(plainColumns(back)).toEqual(plainColumns(expected()));
    });
  }

  for (const name of ['n.parquet', 'n.arrow']) {
    it(`${name}: nested strings (List<Utf8>, Struct), binary and empty strings`, async () => {
      const { Binary, Field: F, Int64: I64, List: L, Struct: S, Utf8: U, vectorFromArray: v } = await import('apache-arrow');
      const n = 50;
      const table = new Table({
        tags: v(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : ['a', `t${i}`, ''].slice(0, i % 4))), new L(new F('element', new U(), true))),
        meta: v(Array.from({ length: n }, (_, i) => (i % 6 === 0 ? null : { source: `s${i % 3}`, year: BigInt(1990 + i) })), new S([new F('source', new U(), true), new F('year', new I64(), true)])),
        raw: v(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : new Uint8Array([i, 255, 0]))), new Binary()),
        text: v(Array.from({ length: n }, (_, i) => (i % 2 ? '' : `é${i}`)), new U()),
      });
      const path = join(tempDir(), name);
      await writeAll(path, [table]);
      const back = await readTable(path);
      expect(typesOf(back)).toEqual(typesOf(table));
      expect(plainColumns(back)).toEqual(plainColumns(table));
    });
  }

  it('Parquet: zstd, row groups of rowGroupRows, values readable by hyparquet directly', async () => {
    const path = join(tempDir(), 'z.parquet');
    await writeAll(path, batches(), { rowGroupRows: 500 });
    const bytes = readFileSync(path);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const metadata = parquetMetadata(file);
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([500, 200, 500, 150]);
    expect(new Set(metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))).toEqual(new Set(['ZSTD']));
    const rows = (await parquetReadObjects({ file, compressors: (await import('hyparquet-compressors')).compressors })) as Record<string, unknown>[];
    expect(rows[3].id).toBe(9_007_199_254_740_996n);
    expect(rows[4].text).toBeNull();
    expect(rows[5].copies).toBeNull();
    expect(rows[2].token_ids).toEqual([2, 3]);
    expect(rows[3].token_ids ?? null).toBeNull();
  });

  it('JSONL: values survive; integers read back as Int64, floats stay Float64 even when integral', async () => {
    const path = join(tempDir(), 't.jsonl');
    const input = [sampleTable(0, 700), sampleTable(700, 650)];
    const ids = (t: Table) => Array.from(t.getChild('id')!.toArray() as BigInt64Array);
    // JSON numbers above 2^53 are not exact: use small ids for JSONL
    const small = input.map((t) => t.assign(new Table({ id: t.getChild('n_tokens')! })));
    await writeAll(path, small);
    const back = await readTable(path, { batchRows: 300 });
    expect(typesOf(back)).toEqual([
      'id: Int64', 'text: Utf8', 'copies: Int64', 'teacher_nll: Float64', 'n_tokens: Int64', 'memorized: Bool', 'token_ids: List<Int64>',
    ]);
    const want = plainColumns(new Table([...small[0].batches, ...small[1].batches]));
    const got = plainColumns(back);
    expect(got.text).toEqual(want.text);
    expect(got.teacher_nll).toEqual(want.teacher_nll);
    expect(got.memorized).toEqual(want.memorized);
    expect(got.copies).toEqual(want.copies);
    expect(got.id).toEqual(want.id.map((v) => BigInt(v as number)));
    expect(got.token_ids).toEqual(want.token_ids.map((l) => (l === null ? null : (l as number[]).map(BigInt))));
    expect(ids(back).length).toBe(1350);
  });

  it('JSONL batches hold batchRows rows and blank lines are skipped', async () => {
    const dir = tempDir();
    const path = join(dir, 'b.jsonl');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, ['{"a":1}', '', '{"a":2}', '  ', '{"a":3}\r', '{"a":4}'].join('\n'));
    const sizes: number[] = [];
    for await (const batch of openReader(path, { batchRows: 3 })) sizes.push(batch.numRows);
    expect(sizes).toEqual([3, 1]);
  });

  it('JSONL .gz is decompressed while streaming', async () => {
    const { gzipSync } = await import('node:zlib');
    const { writeFileSync } = await import('node:fs');
    const path = join(tempDir(), 'c.jsonl.gz');
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ id: i, text: `t${i}` })).join('\n');
    writeFileSync(path, gzipSync(lines));
    const back = await readTable(path, { batchRows: 1000 });
    expect(back.numRows).toBe(2500);
    expect(Array.from(columnValues(back.getChild('id')!))).toEqual(Array.from({ length: 2500 }, (_, i) => BigInt(i)));
    expect(back.getChild('text')!.get(2499)).toBe('t2499');
  });

  it.skipIf(lacks('zstd'))('JSONL .zst (a file from the zstd tool) is decompressed while streaming', async () => {
    const { execFileSync } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const dir = tempDir();
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ id: i, text: `t${i}` })).join('\n');
    writeFileSync(join(dir, 'c.jsonl'), lines);
    execFileSync('zstd', ['-q', '-19', join(dir, 'c.jsonl'), '-o', join(dir, 'c.jsonl.zst')]);
    const back = await readTable(join(dir, 'c.jsonl.zst'), { batchRows: 1000 });
    expect(Array.from(columnValues(back.getChild('id')!))).toEqual(Array.from({ length: 2500 }, (_, i) => BigInt(i)));
    expect(back.getChild('text')!.get(2499)).toBe('t2499');
  });

  for (const [name, tool] of [['t.jsonl.gz', 'gzip'], ['t.jsonl.zst', 'zstd']] as const) {
    it.skipIf(lacks(tool))(`${name} is written compressed: ${tool} -d gives the plain JSONL, and it reads back`, async () => {
      const { execFileSync } = await import('node:child_process');
      const dir = tempDir();
      // small ids: JSON numbers above 2^53 are not exact
      const small = () => [sampleTable(0, 700), sampleTable(700, 650)].map((t) => t.assign(new Table({ id: t.getChild('n_tokens')! })));
      expect(await writeAll(join(dir, name), small())).toBe(1350);
      expect(await writeAll(join(dir, 't.jsonl'), small())).toBe(1350);
      const decompressed = execFileSync(tool, ['-d', '-c', join(dir, name)]);
      expect(decompressed.toString('utf8')).toBe(readFileSync(join(dir, 't.jsonl'), 'utf8'));
      expect(readFileSync(join(dir, name)).length).toBeLessThan(decompressed.length / 2);
      const back = await readTable(join(dir, name));
      expect(plainColumns(back)).toEqual(plainColumns(await readTable(join(dir, 't.jsonl'))));
    });
  }

  it('an all-null column without a type (Arrow Null) is written to Parquet as nullable strings', async () => {
    const { Null, vectorFromArray } = await import('apache-arrow');
    const table = new Table({ id: vectorFromArray([1, 2, 3]), reason: vectorFromArray([null, null, null], new Null()) });
    expect(String(table.getChild('reason')!.type)).toBe('Null');
    const path = join(tempDir(), 'null.parquet');
    await writeAll(path, [table]);
    const back = await readTable(path);
    expect(String(back.getChild('reason')!.type)).toBe('Utf8');
    expect(columnValues(back.getChild('reason')!)).toEqual([null, null, null]);
  });

  for (const name of ['d.parquet', 'd.arrow', 'd.arrows', 'd.jsonl']) {
    it(`${name}: string columns built per batch (each its own Arrow dictionary) keep their values`, async () => {
      const { vectorFromArray } = await import('apache-arrow');
      const a = new Table({ reason: vectorFromArray(['x', 'y', null]) });
      const b = new Table({ reason: vectorFromArray(['z', 'x']) });
      expect(String(a.schema.fields[0].type)).toBe('Dictionary<Int32, Utf8>');
      const path = join(tempDir(), name);
      await writeAll(path, [a, b]);
      const back = await readTable(path);
      expect(columnValues(back.getChild('reason')!)).toEqual(['x', 'y', null, 'z', 'x']);
      // only the Arrow stream format can carry a new dictionary per batch
      expect(String(back.schema.fields[0].type)).toBe(name.endsWith('.arrows') ? 'Dictionary<Int32, Utf8>' : 'Utf8');
    });
  }

  it('close publishes exactly one file, no temp left behind', async () => {
    const dir = tempDir();
    await writeAll(join(dir, 'out.parquet'), batches());
    expect(readdirSync(dir)).toEqual(['out.parquet']);
  });
});
