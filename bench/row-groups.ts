// Peak memory against the writer's row-group size: `memsieve add-ids` (read every column, write them
// again) on the same rows as small row groups and as one big group, each in its own process
// (peak RSS from /usr/bin/time). Files from DuckDB, ~1 KB of hex text per row (compresses ~2x).
// Run: npm run bench:row-groups   (BENCH_BIG_ROWS, default 1048576; 0 skips the 1M-row file)
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { tempDirectory } from './io-temp.js';

const ROOT = join(import.meta.dirname, '..');
const bigRows = Number(process.env.BENCH_BIG_ROWS ?? 1_048_576);
const machine = { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version };
const dir = tempDirectory();

const connection = await (await DuckDBInstance.create(':memory:')).connect();
await connection.run('SET threads = 1'); // one writer thread: the row groups are exactly as asked
async function corpus(rows: number, groupRows: number): Promise<string> {
  const path = join(dir, `corpus-${rows}-groups-${groupRows}.parquet`);
  await connection.run(`COPY (SELECT i::BIGINT AS id, array_to_string(list_transform(range(32), k -> md5((i * 32 + k)::VARCHAR)), '') AS text
    FROM range(${rows}) t(i)) TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${groupRows})`);
  return path;
}

async function groupsOf(path: string): Promise<number[]> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  return metadata.row_groups.map((g) => Number(g.num_rows));
}

/** Peak RSS of `memsieve add-ids` on `input`, in a fresh process. */
function run(input: string): { peak_rss_mb: number; seconds: number } {
  const output = join(dir, 'with-ids.parquet');
  const start = performance.now();
  const result = execFileSync('/bin/sh', ['-c', `/usr/bin/time -f 'peak_kb=%M' "$@" 2>&1 >/dev/null | grep peak_kb`, 'sh', process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'add-ids', '-i', input, '-o', output, '--id-column', 'row'], { cwd: ROOT, encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  rmSync(output, { force: true });
  const kb = Number(/peak_kb=(\d+)/.exec(result)![1]);
  return { peak_rss_mb: Math.round(kb / 1024), seconds: +seconds.toFixed(1) };
}

const cases: [string, number, number][] = [
  ['300k rows, row groups of 10,000', 300_000, 10_000],
  ['300k rows, one row group', 300_000, 300_000],
];
if (bigRows > 0) cases.push([`${bigRows} rows, one row group`, bigRows, bigRows]);
const results: Record<string, number> = {};
for (const [name, rows, groupRows] of cases) {
  const input = await corpus(rows, groupRows);
  const groups = await groupsOf(input);
  const { peak_rss_mb, seconds } = run(input);
  results[name] = peak_rss_mb;
  console.log(JSON.stringify({ bench: 'add-ids peak RSS by row-group size', case: name, row_groups: groups.length, largest_group: Math.max(...groups), file_mb: +(statSync(input).size / 2 ** 20).toFixed(1), peak_rss_mb, seconds, machine }));
  rmSync(input);
}
const small = results[cases[0][0]];
console.log(JSON.stringify({ bench: 'add-ids peak RSS ratios (to row groups of 10,000)', ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, +(v / small).toFixed(2)])) }));
connection.closeSync();
