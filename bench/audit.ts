// Benchmark of `memsieve audit`'s hot path: batched greedy decoding of 50 new tokens from 50-token kit
// prefixes, with a KV cache (kv-tiny/kv.onnx) and by full recomputation (kv-tiny/logits.onnx, the same
// weights; and the kit student, a logits-only graph). Prints one JSON line per measurement.
// Run: npm run bench:audit   (BENCH_PREFIXES, BENCH_THREADS, BENCH_BATCH to change the defaults)
import { join } from 'node:path';
import { availableParallelism, cpus } from 'node:os';
import { openReader } from '../src/io/index.js';
import { loadOnnxModel } from '../src/models/onnx.js';
import { loadTokenizer } from '../src/text/tokenizer.js';

const ROOT = join(import.meta.dirname, '..');
const KIT = join(ROOT, 'fixtures', 'brown-tiny');
const prefixCount = Number(process.env.BENCH_PREFIXES ?? 128);
const threads = Number(process.env.BENCH_THREADS ?? 1);
const batchSize = Number(process.env.BENCH_BATCH ?? 32);
const [k, m] = [50, 50];

const tokenizer = await loadTokenizer(join(KIT, 'tokenizer.json'));
const prefixes: Int32Array[] = [];
for await (const batch of openReader(join(KIT, 'corpus.parquet'))) {
  for (const text of batch.getChild('text')!.toArray() as string[]) {
    if (prefixes.length < prefixCount) prefixes.push(tokenizer.encodeTruncated(text, k));
  }
  if (prefixes.length >= prefixCount) break;
}

async function decode(path: string): Promise<{ seconds: number; tokens: Int32Array[] }> {
  const model = await loadOnnxModel(path, { threads, tokenizerVocab: tokenizer.vocabSize });
  await model.greedy(prefixes.slice(0, 2), 2); // warm-up: session init and first-run allocations
  const start = performance.now();
  const tokens: Int32Array[] = [];
  for (let i = 0; i < prefixes.length; i += batchSize) tokens.push(...(await model.greedy(prefixes.slice(i, i + batchSize), m)));
  const seconds = (performance.now() - start) / 1000;
  await model.close();
  return { seconds, tokens };
}

const machine = { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version };
const report = (name: string, graph: string, seconds: number, extra: object = {}) =>
  console.log(JSON.stringify({ bench: name, graph, prefixes: prefixes.length, k, m, batch: batchSize, threads, seconds: +seconds.toFixed(3), prefixes_per_s: +(prefixes.length / seconds).toFixed(2), ...extra, machine }));

const full = await decode(join(ROOT, 'fixtures', 'kv-tiny', 'logits.onnx'));
report('audit.greedy.recompute', 'kv-tiny/logits.onnx', full.seconds);
const cached = await decode(join(ROOT, 'fixtures', 'kv-tiny', 'kv.onnx'));
const identical = cached.tokens.every((row, r) => row.every((t, j) => t === full.tokens[r][j]));
report('audit.greedy.kv_cache', 'kv-tiny/kv.onnx', cached.seconds, { identical_to_recompute: identical, speedup: +(full.seconds / cached.seconds).toFixed(2) });
const student = await decode(join(KIT, 'student.onnx'));
report('audit.greedy.recompute', 'brown-tiny/student.onnx', student.seconds);
