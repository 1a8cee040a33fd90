// Benchmark of `memsieve filter` and `memsieve verify` end to end (all passes, hashing, Parquet zstd
// output, manifest and report) on the brown-tiny kit corpus repeated BENCH_REPEATS times under new ids,
// with scores derived from golden.parquet as in test/filter, and a risk.json trained on the kit.
// Run: npm run bench:filter   (prints one JSON line per measurement)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Utf8, tableFromArrays, vectorFromArray } from 'apache-arrow';
import { filterCorpus } from '../src/filter/filter.js';
import { verifyReport } from '../src/filter/verify.js';
import { openWriter } from '../src/io/index.js';
import { makeKitInputs } from '../test/filter/kit-setup.js';

const repeats = Number(process.env.BENCH_REPEATS ?? 40);
const kit = await makeKitInputs();
const dir = mkdtempSync(join(tmpdir(), 'memsieve-bench-filter-'));
const corpus = join(dir, 'corpus.parquet');
const scores = join(dir, 'scores.parquet');

// corpus and scores, one kit copy per batch (plain Utf8: tableFromArrays would dictionary-encode strings); scores in reverse order so the join is by id
const texts = kit.corpusRows.map((r) => r.text as string);
const copies = BigInt64Array.from(kit.corpusRows, (r) => BigInt(r.copies));
const corpusWriter = await openWriter(corpus);
const scoresWriter = await openWriter(scores);
for (let k = 0; k < repeats; k++) {
  const ids = kit.ids.map((id) => `${id}-r${k}`);
  await corpusWriter.write(tableFromArrays({ id: vectorFromArray(ids, new Utf8()), text: vectorFromArray(texts, new Utf8()), copies }));
  const reversed = ids.map((_, i) => ids.length - 1 - i);
  await scoresWriter.write(
    tableFromArrays({
      id: vectorFromArray(reversed.map((i) => ids[i]), new Utf8()),
      teacher_ppl: Float64Array.from(reversed, (i) => kit.features.teacher_ppl[i]),
      baseline_ppl: Float64Array.from(reversed, (i) => kit.features.baseline_ppl[i]),
      kl_teacher_baseline: Float64Array.from(reversed, (i) => kit.features.kl_teacher_baseline[i]),
      zlib_entropy: Float64Array.from(reversed, (i) => kit.features.zlib_entropy[i]),
    }),
  );
}
await corpusWriter.close();
await scoresWriter.close();
const rows = kit.ids.length * repeats;

const base = { rows, corpus_mb: +(statSync(corpus).size / 1e6).toFixed(1), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
const rss = () => +(process.memoryUsage().rss / 1e6).toFixed(0);

let start = performance.now();
const result = await filterCorpus({ input: corpus, scores, model: kit.model, clean: join(dir, 'clean.parquet'), removed: join(dir, 'removed.parquet'), report: join(dir, 'report'), targetRecall: 1 });
let seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({ bench: 'filter', ...base, removed: result.manifest.summary.removed, seconds: +seconds.toFixed(2), rows_per_s: Math.round(rows / seconds), rss_mb: rss() }));

start = performance.now();
const verified = await verifyReport(join(dir, 'report'));
seconds = (performance.now() - start) / 1000;
if (!verified.ok) throw new Error(`verify failed: ${verified.problems.join('; ')}`);
console.log(JSON.stringify({ bench: 'verify', ...base, seconds: +seconds.toFixed(2), rows_per_s: Math.round(rows / seconds), rss_mb: rss() }));

rmSync(dir, { recursive: true, force: true });
rmSync(kit.dir, { recursive: true, force: true });
