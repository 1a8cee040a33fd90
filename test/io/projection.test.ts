// openReader's `columns`: only the requested columns come back, with the values of a full read.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openReader } from '../../src/io/index.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';

async function readAll(path: string, options: Parameters<typeof openReader>[1] = {}) {
  const rows: Record<string, unknown>[] = [];
  let names: string[] = [];
  for await (const batch of openReader(path, options)) {
    names = batch.schema.fields.map((f) => f.name);
    for (const row of batch) rows.push(row!.toJSON());
  }
  return { names, rows };
}

describe('column projection', () => {
  it('Parquet: decodes only the requested columns, same values as hyparquet', async () => {
    const { names, rows } = await readAll(kitFile('corpus.parquet'), { columns: ['copies', 'id', 'not-there'] });
    expect(names).toEqual(['id', 'copies']);
    const corpus = await kitCorpus();
    expect(rows.length).toBe(corpus.length);
    expect(rows.map((r) => [r.id, r.copies])).toEqual(corpus.map((r) => [r.id, r.copies]));
  });

  it('JSONL and empty shards keep only the requested columns', async () => {
    const path = join(tempDir(), 'x.jsonl');
    writeFileSync(path, '{"id":"a","text":"t","n":1}\n{"id":"b","text":"u","n":2}\n');
    const { names, rows } = await readAll(path, { columns: ['n', 'id'] });
    expect(names).toEqual(['id', 'n']);
    expect(rows).toEqual([{ id: 'a', n: 1n }, { id: 'b', n: 2n }]);
    const empty = await readAll(kitFile('corpus.parquet'), { columns: ['id'], shard: { index: 99, count: 100 } });
    expect(empty.names).toEqual(['id']);
  });
});
