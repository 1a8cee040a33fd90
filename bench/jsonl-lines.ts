// Benchmark of one long JSONL line (issue 20): the reader must take time linear in the line's length,
// plain and gzipped. Lines of 12.5, 25 and 50 MB of text; the ratio of each time to the 12.5 MB one is
// ~2 and ~4 when linear. The quadratic reader it replaced took 328 s on the 50 MB gzipped line, 1.2 s now
// (docs/benchmarks.md, Long JSONL lines).
// Run: npm run bench:jsonl-lines   (BENCH_REPEAT, default 3)
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openReader } from '../src/io/index.js';
import { tempDirectory } from './io-temp.js';

const machine = { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version };
const dir = tempDirectory();
const repeat = Number(process.env.BENCH_REPEAT ?? 3);

/** Best of BENCH_REPEAT reads: the machine is shared, the minimum is the least disturbed. */
async function bestRead(path: string): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    let rows = 0;
    for await (const batch of openReader(path, { columns: ['id'] })) rows += batch.numRows;
    if (rows !== 1) throw new Error(`${path}: read ${rows} rows, expected 1`);
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

for (const gzip of [false, true]) {
  let base = 0;
  for (const megabytes of [12.5, 25, 50]) {
    const line = Buffer.concat([Buffer.from('{"id":"x","text":"'), Buffer.alloc(megabytes * 1e6, 'a'), Buffer.from('"}\n')]);
    const path = join(dir, `line-${megabytes}.jsonl${gzip ? '.gz' : ''}`);
    writeFileSync(path, gzip ? gzipSync(line, { level: 1 }) : line);
    const seconds = await bestRead(path);
    base ||= seconds;
    console.log(JSON.stringify({ bench: 'jsonl-long-line', gzip, line_mb: megabytes, seconds: +seconds.toFixed(3), mb_per_s: Math.round(megabytes / seconds), ratio_to_12_5_mb: +(seconds / base).toFixed(2), machine }));
  }
}
