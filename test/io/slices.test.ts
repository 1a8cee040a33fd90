// Big row groups are read in slices (SLICE_ROWS), each decoding only its pages; the rows equal those of
// the same data read whole, in order, with nulls, lists and a resume's skipped rows.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { columnValues, openReader, openWriter } from '../../src/io/index.js';
import { SLICE_ROWS } from '../../src/io/parquet-read.js';
import { tempDir } from '../helpers/kit.js';
import { duckdb } from './duckdb.js';

const ROWS = 25_000;
const SELECT = `SELECT i::BIGINT AS id,
    CASE WHEN i % 10 = 0 THEN NULL ELSE 'row ' || i || ' ' || md5(i::VARCHAR) END AS text,
    CASE WHEN i % 7 = 0 THEN NULL ELSE i / 3.0 END::DOUBLE AS score`;
const LIST = `, CASE WHEN i % 9 = 0 THEN NULL ELSE [i::INTEGER, (i + 1)::INTEGER] END AS token_ids`;

async function readAll(path: string, skipRows = 0) {
  const sizes: number[] = [];
  const rows: Record<string, unknown>[] = [];
  for await (const batch of openReader(path, { skipRows })) {
    sizes.push(batch.numRows);
    const columns = batch.schema.fields.map((f) => [f.name, columnValues(batch.getChild(f.name)!)] as const);
    for (let i = 0; i < batch.numRows; i++) {
      const row: Record<string, unknown> = {};
      for (const [name, values] of columns) {
        const v = (values as ArrayLike<unknown>)[i];
        row[name] = v && typeof v === 'object' && 'toArray' in v ? Array.from((v as { toArray(): ArrayLike<unknown> }).toArray()) : v;
      }
      rows.push(row);
    }
  }
  return { sizes, rows };
}

describe('a big row group is read in slices', () => {
  it('DuckDB (no offset index: pages found by their headers), one group: slices of SLICE_ROWS, same rows as DuckDB', async () => {
    const dir = tempDir();
    const db = await duckdb();
    await db.run('SET threads = 1');
    const path = join(dir, 'one-group.parquet');
    await db.run(`COPY (${SELECT} FROM range(${ROWS}) t(i)) TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROWS})`);
    const expected = await db.rows(`SELECT id, text, score FROM '${path}'`);
    db.close();
    const { sizes, rows } = await readAll(path);
    expect(sizes).toEqual([SLICE_ROWS, SLICE_ROWS, ROWS - 2 * SLICE_ROWS]);
    expect(rows.map((r) => Number(r.id))).toEqual(expected.map((r) => Number(r.id)));
    expect(rows.map((r) => r.text)).toEqual(expected.map((r) => r.text));
    expect(rows.map((r) => r.score)).toEqual(expected.map((r) => r.score));
    // a resumed stage skips into the middle of the group: the rest, sliced where an uninterrupted read slices
    const resumed = await readAll(path, SLICE_ROWS);
    expect(resumed.sizes).toEqual([SLICE_ROWS, ROWS - 2 * SLICE_ROWS]);
    expect(resumed.rows).toEqual(rows.slice(SLICE_ROWS));
  });

  it('a nested column with v1 pages and no offset index cannot be sliced by row: the group is read whole, still right', async () => {
    const dir = tempDir();
    const db = await duckdb();
    await db.run('SET threads = 1');
    const path = join(dir, 'nested.parquet');
    await db.run(`COPY (${SELECT}${LIST} FROM range(${ROWS}) t(i)) TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROWS})`);
    const expected = await db.rows(`SELECT id, token_ids FROM '${path}'`);
    db.close();
    const { sizes, rows } = await readAll(path);
    expect(sizes).toEqual([ROWS]);
    expect(rows.map((r) => r.token_ids)).toEqual(expected.map((r) => (r.token_ids === null ? null : (r.token_ids as { items: unknown[] }).items)));
  });

  it('memsieve\'s own writer (offset index, v2 pages): lists slice too, and the copy equals the source', async () => {
    const dir = tempDir();
    const db = await duckdb();
    const source = join(dir, 'source.parquet');
    await db.run(`COPY (${SELECT}${LIST} FROM range(${ROWS}) t(i)) TO '${source}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
    db.close();
    const big = join(dir, 'big.parquet');
    const writer = await openWriter(big, { rowGroupRows: ROWS });
    for await (const batch of openReader(source)) await writer.write(batch);
    await writer.close();
    const whole = await readAll(source);
    const sliced = await readAll(big);
    expect(sliced.sizes).toEqual([SLICE_ROWS, SLICE_ROWS, ROWS - 2 * SLICE_ROWS]);
    expect(sliced.rows).toEqual(whole.rows);
  });
});
