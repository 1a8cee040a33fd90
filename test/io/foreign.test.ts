import { join } from 'node:path';
import { parquetMetadataAsync } from 'hyparquet';
import { asyncBufferFromFile } from 'hyparquet/src/node.js';
import { describe, expect, it } from 'vitest';
import { columnValues, openReader, readTable } from '../../src/io/index.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';
import { duckdb } from './duckdb.js';

describe('reads Parquet written by other implementations', () => {
  it('kit corpus (pyarrow, snappy, dictionary pages): 5300 rows, same ids, texts and copies as hyparquet alone', async () => {
    const expected = await kitCorpus();
    const ids: unknown[] = [];
    const texts: unknown[] = [];
    const copies: unknown[] = [];
    let batches = 0;
    for await (const batch of openReader(kitFile('corpus.parquet'))) {
      batches++;
      ids.push(...columnValues(batch.getChild('id')!) as unknown[]);
      texts.push(...columnValues(batch.getChild('text')!) as unknown[]);
      copies.push(...Array.from(columnValues(batch.getChild('copies')!)));
    }
    expect(ids.length).toBe(5300);
    expect(batches).toBeGreaterThan(1); // one batch per row group, not the whole file
    expect(ids[0]).toBe(expected[0].id);
    expect(ids[5299]).toBe(expected[5299].id);
    expect(ids).toEqual(expected.map((r) => r.id));
    expect(texts).toEqual(expected.map((r) => r.text));
    expect(copies).toEqual(expected.map((r) => r.copies));
  });

  it('DuckDB, zstd, several row groups: strings, BIGINT beyond 2^53, DOUBLE, BOOLEAN, INTEGER[], nulls', async () => {
    const db = await duckdb();
    const path = join(tempDir(), 'duck.parquet');
    const select = `SELECT 9007199254740993 + i * 1000003 AS id,
        CASE WHEN i % 10 = 0 THEN NULL ELSE 'row ' || i || ' é ✓' END AS text,
        CASE WHEN i % 7 = 0 THEN NULL ELSE i / 3.0 END::DOUBLE AS score,
        CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 0 END AS flag,
        CASE WHEN i % 9 = 0 THEN NULL ELSE [i::INTEGER, (i + 1)::INTEGER] END AS token_ids
      FROM range(5000) t(i)`;
    await db.run(`COPY (${select}) TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1024)`);
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
    expect(metadata.row_groups.length).toBeGreaterThan(1);

    const table = await readTable(path);
    expect(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual([
      'id: Int64', 'text: Utf8', 'score: Float64', 'flag: Bool', 'token_ids: List<Int32>',
    ]);
    const want = await db.rows(`SELECT * FROM read_parquet('${path}')`);
    db.close();
    expect(table.numRows).toBe(want.length);
    expect(Array.from(columnValues(table.getChild('id')!))).toEqual(want.map((r) => r.id));
    expect(columnValues(table.getChild('text')!)).toEqual(want.map((r) => r.text));
    expect(Array.from(columnValues(table.getChild('score')!))).toEqual(want.map((r) => r.score));
    expect(columnValues(table.getChild('flag')!)).toEqual(want.map((r) => r.flag));
    const lists = want.map((r) => (r.token_ids === null ? null : (r.token_ids as { items: unknown[] }).items));
    expect(columnValues(table.getChild('token_ids')!)).toEqual(lists);
  });

  it('DuckDB reads back what memsieve writes', async () => {
    const db = await duckdb();
    const dir = tempDir();
    const source = join(dir, 'duck.parquet');
    await db.run(`COPY (SELECT i::BIGINT AS id, 'text ' || i AS text, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 0.5 END AS x FROM range(3000) t(i)) TO '${source}' (FORMAT parquet)`);
    const out = join(dir, 'ours.parquet');
    const { openWriter } = await import('../../src/io/index.js');
    const writer = await openWriter(out, { rowGroupRows: 1000 });
    for await (const batch of openReader(source)) await writer.write(batch);
    await writer.close();
    const [same] = await db.rows(
      `SELECT count(*) AS n, count(*) FILTER (WHERE a.id IS NOT DISTINCT FROM b.id AND a.text IS NOT DISTINCT FROM b.text AND a.x IS NOT DISTINCT FROM b.x) AS equal
       FROM read_parquet('${source}') a POSITIONAL JOIN read_parquet('${out}') b`,
    );
    const [meta] = await db.rows(`SELECT count(DISTINCT row_group_id) AS groups, min(compression) AS codec FROM parquet_metadata('${out}')`);
    db.close();
    expect(same).toEqual({ n: 3000n, equal: 3000n });
    expect(meta).toEqual({ groups: 3n, codec: 'ZSTD' });
  });
});
