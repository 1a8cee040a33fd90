import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/kit.js';
import { openReader, openWriter } from '../../src/io/index.js';
import { duckdb } from './duckdb.js';

const CHILD = join(import.meta.dirname, 'read-rss.ts');
const ROOT = join(import.meta.dirname, '..', '..');

/** Stream `input` to `output` in a child whose V8 heap is capped below the corpus's text size. */
function streamInChild(input: string, output: string): { rows: number; chars: number; checksum: number; peak_rss_mb: number } {
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=64', '--import', 'tsx', CHILD, input, output], { cwd: ROOT });
  return JSON.parse(out.toString());
}

describe('memory stays bounded as rows grow', () => {
  it('Parquet -> Parquet: 4x the rows (77 MB of text, more than the 64 MB heap) costs little more peak RSS', async () => {
    const dir = tempDir();
    const db = await duckdb();
    const sizes = [50_000, 200_000];
    for (const n of sizes) {
      // 384 distinct characters per row; row groups of 10k rows as a typical writer makes them
      await db.run(`COPY (SELECT i::BIGINT AS id, repeat(md5(i::VARCHAR), 12) AS text FROM range(${n}) t(i))
        TO '${join(dir, `in-${n}.parquet`)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 10000)`);
    }
    db.close();
    const [small, large] = sizes.map((n) => streamInChild(join(dir, `in-${n}.parquet`), join(dir, `out-${n}.parquet`)));
    expect(large.rows).toBe(200_000);
    expect(large.chars).toBe(200_000 * 384);
    // measured (gc after each batch): streaming grows ~12 MB; the same child keeping its batches grows ~58 MB
    expect(large.peak_rss_mb - small.peak_rss_mb).toBeLessThan(30);
  });
});

describe('memory does not follow the row-group size', () => {
  it('one row group of 60,000 rows (1 KB each, 1 MB pages) is read in slices: peak RSS near that of row groups of 10,000', async () => {
    const dir = tempDir();
    const db = await duckdb();
    await db.run('SET threads = 1');
    const small = join(dir, 'small.parquet');
    await db.run(`COPY (SELECT i::BIGINT AS id, array_to_string(list_transform(range(32), k -> md5((i * 32 + k)::VARCHAR)), '') AS text
      FROM range(60000) t(i)) TO '${small}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 10000)`);
    db.close();
    // the same rows as one group, as a writer with moderate pages and a big row group makes them
    const single = join(dir, 'single.parquet');
    const writer = await openWriter(single, { rowGroupRows: 60_000 });
    for await (const batch of openReader(small)) await writer.write(batch);
    await writer.close();
    const [smallRead, singleRead] = [streamInChild(small, ''), streamInChild(single, '')];
    expect(singleRead.rows).toBe(60_000);
    expect(singleRead.chars).toBe(60_000 * 1024);
    expect(singleRead.checksum).toBe(smallRead.checksum);
    // the group holds 61 MB of text and a slice about 10 MB; measured: +40 MB when the group was decoded
    // whole (its compressed chunk, then every value), +0 MB in slices (gc after each batch)
    expect(singleRead.peak_rss_mb - smallRead.peak_rss_mb).toBeLessThan(20);
  });
});
