import { join } from 'node:path';
import { parquetMetadataAsync } from 'hyparquet';
import { asyncBufferFromFile } from 'hyparquet/src/node.js';
import { describe, expect, it } from 'vitest';
import { columnValues, openReader, openWriter, readTable } from '../../src/io/index.js';
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

describe('Parquet logical types read from DuckDB keep their Arrow types and exact values', () => {
  it('TIMESTAMP, TIMESTAMPTZ, DATE, TINYINT, SMALLINT, UINTEGER, UBIGINT, FLOAT, DECIMAL, BLOB', async () => {
    const db = await duckdb();
    const path = join(tempDir(), 'types.parquet');
    await db.run(`COPY (SELECT
        TIMESTAMP '2024-01-02 03:04:05.123456' + INTERVAL (i) SECOND AS ts,
        TIMESTAMPTZ '2024-01-02 03:04:05.5+00' + INTERVAL (i) MINUTE AS tstz,
        DATE '2020-02-29' + i::INTEGER AS day,
        (i % 100 - 50)::TINYINT AS tiny, (i * 3)::SMALLINT AS small,
        (4000000000 + i)::UINTEGER AS u32, (18000000000000000000 + i)::UBIGINT AS u64,
        (i / 4)::FLOAT AS f32, (i * 1.25)::DECIMAL(9, 2) AS dec,
        CASE WHEN i % 3 = 0 THEN NULL ELSE ('\\x00\\xFF' || i)::BLOB END AS blob
      FROM range(300) t(i)) TO '${path}' (FORMAT parquet)`);
    const want = await db.rows(`SELECT epoch_us(ts) AS ts, epoch_us(tstz) AS tstz, (day - DATE '1970-01-01')::INTEGER AS day,
        tiny::INTEGER AS tiny, small::INTEGER AS small, u32::BIGINT AS u32, u64::VARCHAR AS u64, f32::DOUBLE AS f32, dec::DOUBLE AS dec,
        octet_length(blob) AS blob_len FROM read_parquet('${path}')`);
    db.close();
    const table = await readTable(path);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      ts: 'Timestamp<MICROSECOND>', tstz: 'Timestamp<MICROSECOND, UTC>', day: 'Date32<DAY>', tiny: 'Int8', small: 'Int16',
      u32: 'Uint32', u64: 'Uint64', f32: 'Float32', dec: 'Float64', blob: 'Binary',
    });
    const raw = (name: string) => Array.from(table.getChild(name)!.data.flatMap((d) => Array.from(d.values as ArrayLike<unknown>).slice(0, d.length)));
    expect(raw('ts')).toEqual(want.map((r) => r.ts));
    expect(raw('tstz')).toEqual(want.map((r) => r.tstz));
    expect(raw('day')).toEqual(want.map((r) => r.day));
    expect(Array.from(columnValues(table.getChild('tiny')!))).toEqual(want.map((r) => r.tiny));
    expect(Array.from(columnValues(table.getChild('small')!))).toEqual(want.map((r) => r.small));
    expect(Array.from(columnValues(table.getChild('u32')!)).map(Number)).toEqual(want.map((r) => Number(r.u32)));
    expect(Array.from(columnValues(table.getChild('u64')!)).map(String)).toEqual(want.map((r) => r.u64));
    expect(Array.from(columnValues(table.getChild('f32')!))).toEqual(want.map((r) => r.f32));
    expect(Array.from(columnValues(table.getChild('dec')!))).toEqual(want.map((r) => r.dec));
    expect(Array.from(columnValues(table.getChild('blob')!), (b) => (b === null ? null : (b as Uint8Array).length))).toEqual(want.map((r) => (r.blob_len === null ? null : Number(r.blob_len))));
  });

  it('written back by memsieve, DuckDB reads every one of those columns equal', async () => {
    const db = await duckdb();
    const dir = tempDir();
    const source = join(dir, 'types.parquet');
    await db.run(`COPY (SELECT
        TIMESTAMP '2024-01-02 03:04:05.123456' + INTERVAL (i) SECOND AS ts, TIMESTAMP_NS '2024-01-02 03:04:05.123456789' AS tsns,
        TIMESTAMPTZ '2024-01-02 03:04:05.5+00' + INTERVAL (i) MINUTE AS tstz, DATE '2020-02-29' + i::INTEGER AS day,
        (i % 100 - 50)::TINYINT AS tiny, (4000000000 + i)::UINTEGER AS u32, (18000000000000000000 + i)::UBIGINT AS u64,
        (i / 4)::FLOAT AS f32, CASE WHEN i % 3 = 0 THEN NULL ELSE ('\\x00\\xFF' || i)::BLOB END AS blob,
        {'source': 'web', 'year': i} AS meta, ['a', NULL, 'c' || i] AS tags
      FROM range(300) t(i)) TO '${source}' (FORMAT parquet)`);
    const out = join(dir, 'ours.parquet');
    const writer = await openWriter(out);
    for await (const batch of openReader(source)) await writer.write(batch);
    await writer.close();
    const columns = ['ts', 'tsns', 'tstz', 'day', 'tiny', 'u32', 'u64', 'f32', 'blob', 'meta', 'tags'];
    const [same] = await db.rows(`SELECT count(*) AS n, ${columns.map((c) => `count(*) FILTER (WHERE a.${c} IS NOT DISTINCT FROM b.${c}) AS ${c}`).join(', ')}
      FROM read_parquet('${source}') a POSITIONAL JOIN read_parquet('${out}') b`);
    const [types] = await db.rows(`SELECT ${columns.map((c) => `(SELECT typeof(${c}) FROM read_parquet('${source}') LIMIT 1) = (SELECT typeof(${c}) FROM read_parquet('${out}') LIMIT 1) AS ${c}`).join(', ')}`);
    db.close();
    expect(same).toEqual({ n: 300n, ...Object.fromEntries(columns.map((c) => [c, 300n])) });
    expect(types).toEqual(Object.fromEntries(columns.map((c) => [c, true])));
  });
});
