// Scale benchmark of sharded filter (issue 15): does a rank's memory follow its shard or the corpus?
// Synthetic kit-like corpus (the brown-tiny texts repeated under new ids, row groups of 10,000 rows),
// score parts written directly as `score --shard-index I --shard-count N` writes them (kit features;
// one part per shard over the corpus units) and merged with the parts kept, then `memsieve run` of
// filter (--remove-top 5%: the threshold step's map ranks and reduce first) in N shards on the local
// executor → merge → verify. Every rank's peak RSS (VmHWM) and wall time are sampled from /proc.
// BENCH_JOIN=whole deletes the kept parts first: today's design, every shard joins the whole scores file.
// Run: npm run build && BENCH_ROWS=2000000 BENCH_SHARDS=8 BENCH_JOIN=local npx tsx bench/filter-scale.ts
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float64, Table, Utf8, Int64, vectorFromArray } from 'apache-arrow';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { openWriter } from '../src/io/index.js';
import { mergeShards } from '../src/pipeline/merge.js';
import { runPipeline } from '../src/pipeline/run.js';
// the runner runs stage commands the CLI registers
import '../src/cli/commands.js';
import { partsDir, preparePart, writeShardMarker } from '../src/stage/shard.js';
import { FEATURES, makeKitInputs } from '../test/filter/kit-setup.js';

const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const shards = Number(process.env.BENCH_SHARDS ?? 8);
const workers = Number(process.env.BENCH_WORKERS ?? cpus().length);
const join_ = process.env.BENCH_JOIN ?? 'local';
const kit = await makeKitInputs();
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'memsieve-bench-scale-'));
const corpus = join(dir, 'corpus.parquet');
const scores = join(dir, 'scores.parquet');
const n = kit.ids.length;
const texts = kit.corpusRows.map((r) => r.text as string);
const idOf = (r: number) => `${kit.ids[r % n]}-r${Math.floor(r / n)}`;
const at = (start: number, end: number) => Array.from({ length: end - start }, (_, i) => start + i);
const line = (o: object) => console.log(JSON.stringify({ rows, shards, join: join_, ...o }));
let t0 = performance.now();

// the corpus: row r is kit row r mod n under id `<kit id>-r<copy>`
const corpusWriter = await openWriter(corpus);
for (let start = 0; start < rows; start += 10_000) {
  const r = at(start, Math.min(rows, start + 10_000));
  await corpusWriter.write(
    new Table({
      id: vectorFromArray(r.map(idOf), new Utf8()),
      text: vectorFromArray(r.map((i) => texts[i % n]), new Utf8()),
      copies: vectorFromArray(r.map((i) => BigInt(kit.corpusRows[i % n].copies)), new Int64()),
    }),
  );
}
await corpusWriter.close();
// units (row groups) as the shards will read them
const groups = (await parquetMetadataAsync(await asyncBufferFromFile(corpus))).row_groups.map((g) => Number(g.num_rows));
const unitStart = groups.reduce<number[]>((s, g, u) => [...s, (s[u] ?? 0) + g], [0]);
line({ step: 'corpus', seconds: +((performance.now() - t0) / 1000).toFixed(1), units: groups.length, corpus_mb: +(statSync(corpus).size / 1e6).toFixed(0) });

// score parts: shard s holds the scores of units s, s+N, ... in that order
t0 = performance.now();
const rowsOfShard: number[] = [];
for (let s = 0; s < shards; s++) {
  const writer = await openWriter(await preparePart(scores, { index: s, count: shards }));
  let written = 0;
  for (let u = s; u < groups.length; u += shards) {
    const r = at(unitStart[u], unitStart[u + 1]);
    const columns: Record<string, any> = { id: vectorFromArray(r.map(idOf), new Utf8()) };
    for (const f of FEATURES) columns[f] = vectorFromArray(r.map((i) => kit.features[f][i % n]), new Float64());
    await writer.write(new Table(columns));
    written += r.length;
  }
  // an empty shard writes an empty part with the columns, as score does
  if (written === 0) await writer.write(new Table({ id: vectorFromArray([], new Utf8()), ...Object.fromEntries(FEATURES.map((f) => [f, vectorFromArray([], new Float64())])) }));
  await writer.close();
  rowsOfShard.push(written);
  await writeShardMarker({ kind: 'score', shard: { index: s, count: shards }, inputs: [corpus], outputs: { output: scores }, rows: { output: written } });
}
await mergeShards(scores, { count: shards, keepParts: join_ === 'local' });
if (join_ !== 'local') rmSync(partsDir(scores), { recursive: true, force: true });
line({ step: 'score parts + merge', seconds: +((performance.now() - t0) / 1000).toFixed(1), scores_mb: +(statSync(scores).size / 1e6).toFixed(0) });

const yaml = join(dir, 'scale.yaml');
writeFileSync(
  yaml,
  JSON.stringify({
    name: 'scale',
    workdir: join(dir, '.memsieve'),
    steps: [
      {
        id: 'filter',
        kind: 'filter',
        inputs: { input: corpus, scores, model: kit.model },
        outputs: { clean: join(dir, 'clean.parquet'), removed: join(dir, 'removed.parquet'), report: join(dir, 'report') },
        options: { 'remove-top': 0.05 },
        shards,
      },
      { id: 'verify', kind: 'verify', inputs: { report: join(dir, 'report') } },
    ],
  }),
);

// every rank's peak RSS and lifetime, from /proc every 100 ms
interface Rank { kind: string; index: number; first: number; last: number; hwmKb: number }
const ranks = new Map<number, Rank>();
const sample = () => {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const i = cmd.indexOf('--shard-index');
      // this run's ranks only (their arguments name its folder)
      if (i < 0 || !cmd.some((a) => a.endsWith('dist/cli/main.js')) || !cmd.some((a) => a.startsWith(dir))) continue;
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1] ?? 0);
      const pid = Number(name);
      const now = performance.now();
      const rank = ranks.get(pid) ?? { kind: cmd.find((a) => a === 'filter' || a === 'threshold') ?? '?', index: Number(cmd[i + 1]), first: now, last: now, hwmKb: 0 };
      rank.last = now;
      rank.hwmKb = Math.max(rank.hwmKb, hwm);
      ranks.set(pid, rank);
    } catch {
      // exited between listing and reading
    }
  }
};
const timer = setInterval(sample, 100);
const events: Array<{ t: number; text: string }> = [];
t0 = performance.now();
await runPipeline(yaml, { workers, log: (text) => events.push({ t: (performance.now() - t0) / 1000, text }) });
clearInterval(timer);
const total = (performance.now() - t0) / 1000;
for (const r of [...ranks.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.index - b.index)) {
  const seconds = (r.last - r.first) / 1000;
  const shardRows = r.kind === 'filter' ? rowsOfShard[r.index] : undefined;
  line({ step: `${r.kind} rank`, index: r.index, shard_rows: shardRows, seconds: +seconds.toFixed(1), rows_per_s: shardRows ? Math.round(shardRows / seconds) : undefined, peak_rss_mb: Math.round(r.hwmKb / 1024) });
}
const when = (re: RegExp) => events.find((e) => re.test(e.text))?.t ?? NaN;
line({
  step: 'phases',
  threshold_ranks_end: when(/filter\.threshold: merged/),
  filter_ranks_end: when(/^ {2}filter: shard .* done$/) && events.filter((e) => /^ {2}filter: shard/.test(e.text)).at(-1)?.t,
  filter_merged: when(/^ {2}filter: merged/),
  verify_done: when(/^step verify: done/),
  total_seconds: +total.toFixed(1),
  runner_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  cpus: cpus().length,
  node: process.version,
});
for (const e of events) if (process.env.BENCH_LOG) console.error(`${e.t.toFixed(1)}s ${e.text}`);
rmSync(dir, { recursive: true, force: true });
rmSync(kit.dir, { recursive: true, force: true });
