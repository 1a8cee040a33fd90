// Benchmark of the IO layer: Parquet read/write rows/s (hyparquet + hyparquet-writer, the chosen pair)
// against a raw hyparquet read and, when installed, parquet-wasm; plus Arrow IPC and JSONL for scale.
// Files: the kit corpus (pyarrow, snappy) and a DuckDB-written zstd file of BENCH_ROWS rows.
// Run: npm run bench:io   (BENCH_ROWS, default 100000; BENCH_REPEAT, default 3; PARQUET_WASM=/path/to/node_modules/parquet-wasm to compare)
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { Table } from 'apache-arrow';
import { openReader, openWriter, type Batch } from '../src/io/index.js';
import { tempDirectory } from './io-temp.js';

const ROOT = join(import.meta.dirname, '..');
const rows = Number(process.env.BENCH_ROWS ?? 100_000);
const machine = { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version };
const dir = tempDirectory();

function report(bench: string, file: string, n: number, seconds: number, extra: object = {}) {
  const mb = statSync(file).size / 2 ** 20;
  console.log(JSON.stringify({ bench, file: file.replace(dir, '$TMP').replace(ROOT, '.'), rows: n, seconds: +seconds.toFixed(3), rows_per_s: Math.round(n / seconds), file_mb: +mb.toFixed(1), ...extra, machine }));
}

const repeat = Number(process.env.BENCH_REPEAT ?? 3);

/** Best of BENCH_REPEAT runs: the machine is shared, the minimum is the least disturbed. */
async function time<T>(work: () => Promise<T>): Promise<[T, number]> {
  let best = Infinity;
  let value: T | undefined;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    value = await work();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return [value as T, best];
}

async function readOurs(path: string): Promise<number> {
  let n = 0;
  for await (const batch of openReader(path)) n += batch.numRows;
  return n;
}

async function readAll(path: string): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of openReader(path)) out.push(batch);
  return out;
}

async function writeOurs(path: string, batches: Batch[]): Promise<void> {
  const writer = await openWriter(path);
  for (const batch of batches) await writer.write(batch);
  await writer.close();
}

const duck = join(dir, `duckdb-${rows}.parquet`);
{
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  await connection.run(`COPY (SELECT i::BIGINT AS id, repeat(md5(i::VARCHAR), 1 + i % 20) AS text, i % 7 AS copies, i / 3.0 AS teacher_nll
    FROM range(${rows}) t(i)) TO '${duck}' (FORMAT parquet, COMPRESSION zstd)`);
  connection.closeSync();
}
const inputs = [join(ROOT, 'fixtures', 'brown-tiny', 'corpus.parquet'), duck];
const wasm = process.env.PARQUET_WASM ? await import(join(process.env.PARQUET_WASM, 'node', 'parquet_wasm.js')) : null;

for (const input of inputs) {
  await readOurs(input); // warm-up: module init, JIT
  const [n, seconds] = await time(() => readOurs(input));
  report('read parquet: memsieve openReader (hyparquet, row group by row group, to Arrow)', input, n, seconds);
  const [objects, rawSeconds] = await time(async () => {
    const bytes = readFileSync(input);
    return parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, compressors });
  });
  report('read parquet: hyparquet parquetReadObjects, whole file, JS objects', input, objects.length, rawSeconds);
  if (wasm) {
    const [table, wasmSeconds] = await time(async () => {
      const arrow = await import('apache-arrow');
      const parsed = wasm.readParquet(new Uint8Array(readFileSync(input)));
      return arrow.tableFromIPC(parsed.intoIPCStream());
    });
    report('read parquet: parquet-wasm readParquet, whole file, to Arrow via IPC', input, table.numRows, wasmSeconds);
  }

  const batches = await readAll(input);
  const total = batches.reduce((sum, b) => sum + b.numRows, 0);
  for (const ext of ['parquet', 'arrow', 'jsonl']) {
    const out = join(dir, `out.${ext}`);
    const [, writeSeconds] = await time(() => writeOurs(out, batches));
    report(`write ${ext}: memsieve openWriter${ext === 'parquet' ? ' (hyparquet-writer, zstd-napi)' : ''}`, out, total, writeSeconds, { from: input.replace(dir, '$TMP').replace(ROOT, '.') });
  }
  for (const ext of ['arrow', 'jsonl']) {
    const written = join(dir, `out.${ext}`);
    const [n, readSeconds] = await time(() => readOurs(written));
    report(`read ${ext}: memsieve openReader`, written, n, readSeconds, { from: input.replace(dir, '$TMP').replace(ROOT, '.') });
  }
  if (wasm) {
    const arrow = await import('apache-arrow');
    const out = join(dir, 'wasm.parquet');
    const [, wasmSeconds] = await time(async () => {
      const table = new Table(batches.flatMap((b) => b.batches));
      const wasmTable = wasm.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
      const props = new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.ZSTD).build();
      (await import('node:fs')).writeFileSync(out, wasm.writeParquet(wasmTable, props));
    });
    report('write parquet: parquet-wasm writeParquet (zstd), whole table in memory', out, total, wasmSeconds, { from: input.replace(dir, '$TMP').replace(ROOT, '.') });
  }
}
