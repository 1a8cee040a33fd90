// Benchmark of `memsieve sample` on the brown-tiny kit corpus repeated BENCH_REPEATS times under new ids:
// the read-and-write pass alone (--fraction 1) beside --fraction, --fraction keyed by text, and --rows
// (two passes, a heap of n keys), in one run so the ratios compare like with like.
// Run: npm run bench:sample   (prints one JSON line per variant)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Utf8, tableFromArrays, vectorFromArray } from 'apache-arrow';
import { openWriter } from '../src/io/index.js';
import { sampleCorpus, type SampleOptions } from '../src/sample/index.js';
import { kitCorpus } from '../test/helpers/kit.js';

const repeats = Number(process.env.BENCH_REPEATS ?? 40);
const kit = await kitCorpus();
const dir = mkdtempSync(join(tmpdir(), 'memsieve-bench-sample-'));
const corpus = join(dir, 'corpus.parquet');
const texts = kit.map((r) => r.text as string);
const copies = BigInt64Array.from(kit, (r) => BigInt(r.copies));
const writer = await openWriter(corpus);
for (let k = 0; k < repeats; k++) {
  await writer.write(tableFromArrays({ id: vectorFromArray(kit.map((r) => `${r.id}-r${k}`), new Utf8()), text: vectorFromArray(texts, new Utf8()), copies }));
}
await writer.close();
const rows = kit.length * repeats;
const base = { rows, corpus_mb: +(statSync(corpus).size / 1e6).toFixed(1), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, load: +loadavg()[0].toFixed(1) };

const variants: Array<[string, Partial<SampleOptions>]> = [
  ['copy (--fraction 1)', { fraction: 1 }],
  ['--fraction 0.1', { fraction: 0.1 }],
  ['--fraction 0.1 --key-column text', { fraction: 0.1, keyColumn: 'text' }],
  [`--rows ${rows / 10}`, { rows: rows / 10 }],
];
let copySeconds = 0;
for (const [name, options] of variants) {
  const start = performance.now();
  const summary = await sampleCorpus({ input: corpus, output: join(dir, 'out.parquet'), quiet: true, ...options });
  const seconds = (performance.now() - start) / 1000;
  copySeconds ||= seconds;
  console.log(JSON.stringify({ bench: 'sample', variant: name, ...base, rows_out: summary.rows_out, seconds: +seconds.toFixed(2), rows_per_s: Math.round(rows / seconds), vs_copy: +(seconds / copySeconds).toFixed(2) }));
}
rmSync(dir, { recursive: true, force: true });
