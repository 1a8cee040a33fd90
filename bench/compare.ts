// Benchmark of `memsieve compare` at scale: peak RSS and time of one process, of each of N shards and of
// the merge, on synthetic audits (teacher, baseline, student; BENCH_ROWS rows each, the baseline in
// reverse order, ~5% of rows memorized by each model), with the ids written to --sets. With
// BENCH_MAIN=<checkout> it also runs that checkout's compare (e.g. the design before the sets file,
// which put every id into the JSON report) on the same files, in the same run.
// Run: npm run bench:compare   (prints one JSON line per measurement; each variant is its own process)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Bool, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { openReader, openWriter } from '../src/io/index.js';

const rows = Number(process.env.BENCH_ROWS ?? 2_000_000);
const shards = Number(process.env.BENCH_SHARDS ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'memsieve-bench-compare-'));
const cli = resolve(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

/** A deterministic ~5% memorized flag per row and model. */
const memorized = (i: number, salt: number) => ((Math.imul(i + 1, 2654435761) ^ salt) >>> 0) % 100 < 5 || i % 97 === 0;

async function writeAudit(path: string, salt: number, reverse: boolean) {
  const writer = await openWriter(path);
  const batch = 100_000;
  for (let start = 0; start < rows; start += batch) {
    const idx = Array.from({ length: Math.min(batch, rows - start) }, (_, k) => (reverse ? rows - 1 - start - k : start + k));
    await writer.write(new Table({ id: vectorFromArray(idx.map((i) => `doc-${i}`), new Utf8()), memorized: vectorFromArray(idx.map((i) => memorized(i, salt)), new Bool()) }));
  }
  await writer.close();
}

const audits = { teacher: join(dir, 'teacher.parquet'), baseline: join(dir, 'baseline.parquet'), student: join(dir, 'student.parquet') };
await writeAudit(audits.teacher, 0x1234, false);
await writeAudit(audits.baseline, 0x1234 ^ 0x40, true);
await writeAudit(audits.student, 0x5678, false);
const auditArgs = Object.entries(audits).flatMap(([name, path]) => ['--audit', `${name}=${path}`]);
const base = { rows, audits: 3, audit_mb: +(statSync(audits.teacher).size / 1e6).toFixed(1), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };

/** Runs `memsieve ARGS` (from `entry`) as a child; its wall time and peak RSS (GNU time). */
function measure(name: string, entry: string, args: string[], extra: Record<string, unknown> = {}) {
  const start = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', entry, ...args], { encoding: 'utf8', cwd: resolve(entry, '..', '..', '..') });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
  const peakKb = Number(result.stderr.trim().split('\n').pop());
  console.log(JSON.stringify({ bench: name, ...base, ...extra, seconds: +seconds.toFixed(2), peak_rss_mb: Math.round(peakKb / 1024) }));
}

// what a process costs before any row: the same command on 1,000-row audits
const tiny = join(dir, 'tiny');
mkdirSync(tiny);
for await (const batch of openReader(audits.teacher)) {
  for (const name of Object.keys(audits)) {
    const writer = await openWriter(join(tiny, `${name}.parquet`));
    await writer.write(batch.slice(0, 1000));
    await writer.close();
  }
  break;
}
measure('compare.process_overhead', cli, ['compare', ...Object.keys(audits).flatMap((name) => ['--audit', `${name}=${join(tiny, `${name}.parquet`)}`]), '--output', join(tiny, 'o.json'), '--sets', join(tiny, 's.parquet')], { rows: 1000 });
const whole = join(dir, 'whole');
mkdirSync(whole);
measure('compare.one_process', cli, ['compare', ...auditArgs, '--output', join(whole, 'overlap.json'), '--sets', join(whole, 'sets.parquet')], { sets: true });
const sharded = join(dir, 'sharded');
mkdirSync(sharded);
for (let index = 0; index < shards; index++) {
  measure('compare.shard', cli, ['compare', ...auditArgs, '--output', join(sharded, 'overlap.json'), '--sets', join(sharded, 'sets.parquet'), '--shard-index', String(index), '--shard-count', String(shards)], { shard: index, shards });
}
measure('compare.merge', cli, ['merge', join(sharded, 'overlap.json')], { shards });
if (process.env.BENCH_MAIN) {
  const other = join(dir, 'other');
  mkdirSync(other);
  measure('compare.other_checkout', join(resolve(process.env.BENCH_MAIN), 'src', 'cli', 'main.ts'), ['compare', ...auditArgs, '--output', join(other, 'overlap.json')], { checkout: process.env.BENCH_MAIN });
  console.log(JSON.stringify({ bench: 'compare.report_size', rows, this_mb: +(statSync(join(whole, 'overlap.json')).size / 1e6).toFixed(3), sets_mb: +(statSync(join(whole, 'sets.parquet')).size / 1e6).toFixed(1), other_mb: +(statSync(join(other, 'overlap.json')).size / 1e6).toFixed(1) }));
}
rmSync(dir, { recursive: true, force: true });
