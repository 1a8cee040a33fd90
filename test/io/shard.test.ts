import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { columnValues, openReader, openWriter, type Batch } from '../../src/io/index.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';

async function idsOf(reader: AsyncIterable<Batch>): Promise<{ ids: unknown[]; batches: number }> {
  const ids: unknown[] = [];
  let batches = 0;
  for await (const batch of reader) {
    batches++;
    ids.push(...Array.from(columnValues(batch.getChild('id')!)));
  }
  return { ids, batches };
}

/** A folder with the kit corpus split into three files of three formats (names sort a, b, c). */
async function mixedFolder(): Promise<string> {
  const dir = join(tempDir(), 'corpus');
  mkdirSync(dir);
  const names = ['a.parquet', 'b.arrow', 'c.jsonl'];
  const writers = await Promise.all(names.map((n) => openWriter(join(dir, n), { rowGroupRows: 700 })));
  let k = 0;
  for await (const batch of openReader(kitFile('corpus.parquet'))) {
    // 6 row groups: two to each file, written in two pieces so Arrow gets several record batches
    const half = Math.floor(batch.numRows / 2);
    const writer = writers[Math.floor(k++ / 2)];
    await writer.write(batch.slice(0, half));
    await writer.write(batch.slice(half));
  }
  for (const w of writers) await w.close();
  return dir;
}

describe('shards', () => {
  it('cover every row exactly once and, in unit order, equal the unsharded read (one Parquet file)', async () => {
    const expected = (await kitCorpus()).map((r) => r.id);
    const count = 4;
    const shards = await Promise.all(Array.from({ length: count }, (_, index) => idsOf(openReader(kitFile('corpus.parquet'), { shard: { index, count } }))));
    const all = shards.flatMap((s) => s.ids);
    expect(all.length).toBe(expected.length);
    expect(new Set(all).size).toBe(expected.length);
    expect([...all].sort()).toEqual([...expected].sort());
    // 6 row groups over 4 shards: 2, 2, 1, 1
    expect(shards.map((s) => s.batches)).toEqual([2, 2, 1, 1]);
  });

  it('a folder of Parquet, Arrow and JSONL files: sorted files, then units; shards partition the rows', async () => {
    const dir = await mixedFolder();
    const unsharded = await idsOf(openReader(dir, { batchRows: 500 }));
    expect(unsharded.ids).toEqual((await kitCorpus()).map((r) => r.id));
    for (const count of [2, 3, 5]) {
      const perShard: unknown[][] = [];
      for (let index = 0; index < count; index++) perShard.push((await idsOf(openReader(dir, { batchRows: 500, shard: { index, count } }))).ids);
      const all = perShard.flat();
      expect(all.length).toBe(unsharded.ids.length);
      expect(new Set(all).size).toBe(unsharded.ids.length);
    }
  });

  it('a shard with no units yields one empty batch carrying the schema', async () => {
    const batches: Table[] = [];
    for await (const batch of openReader(kitFile('corpus.parquet'), { shard: { index: 7, count: 8 } })) batches.push(batch);
    expect(batches.length).toBe(1);
    expect(batches[0].numRows).toBe(0);
    expect(batches[0].schema.fields.map((f) => f.name)).toEqual(['id', 'text', 'copies']);
  });

  it('an empty shard still writes a Parquet file with the input columns', async () => {
    const path = join(tempDir(), 'shard-7.parquet');
    const writer = await openWriter(path);
    for await (const batch of openReader(kitFile('corpus.parquet'), { shard: { index: 7, count: 8 } })) await writer.write(batch);
    await writer.close();
    const { readTable } = await import('../../src/io/index.js');
    const back = await readTable(path);
    expect(back.numRows).toBe(0);
    expect(back.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual(['id: Utf8', 'text: Utf8', 'copies: Int64']);
  });

  it('rejects a shard index outside [0, count)', () => {
    expect(() => openReader(kitFile('corpus.parquet'), { shard: { index: 2, count: 2 } })).toThrow(/--shard 2\/2/);
  });
});

describe('several inputs', () => {
  it('JSONL files after the first keep its inferred types (an all-null column stays Int64)', async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = tempDir();
    writeFileSync(join(dir, 'a.jsonl'), '{"id":1,"n":5}\n{"id":2,"n":6}\n');
    writeFileSync(join(dir, 'b.jsonl'), '{"id":3,"n":null}\n');
    const types: string[] = [];
    for await (const batch of openReader(dir)) types.push(String(batch.getChild('n')!.type));
    expect(types).toEqual(['Int64', 'Int64']);
  });

  it('inputs with different columns are a UserError naming both files', async () => {
    const dir = tempDir();
    const a = join(dir, 'a.parquet');
    const b = join(dir, 'b.parquet');
    for (const [path, name] of [[a, 'id'], [b, 'doc_id']]) {
      const writer = await openWriter(path);
      const { vectorFromArray } = await import('apache-arrow');
      await writer.write(new Table({ [name]: vectorFromArray(['x']) }));
      await writer.close();
    }
    await expect(idsOf(openReader([a, b]))).rejects.toThrow(/b\.parquet: columns \[doc_id: .*\] differ from .*a\.parquet/);
  });
});
