// Benchmark of `memsieve audit`'s hot path on the same kit rows (50-token prefix, 50-token suffix):
// one-pass (one teacher-forced forward pass per row) against greedy decoding with a KV cache
// (kv-tiny/kv.onnx) and by full recomputation (kv-tiny/logits.onnx, the same weights; the kit student,
// a logits-only graph); and one-pass + --approximate (decoding resumed at the first miss) against full
// greedy decoding. Every variant's memorized/lead are checked equal. One JSON line per measurement, then
// a summary line with the ratios.
// Run: npm run bench:audit   (BENCH_PREFIXES, BENCH_THREADS, BENCH_BATCH to change the defaults)
import { join } from 'node:path';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { auditBatch, type AuditMethod, type RowAudit } from '../src/audit/methods.js';
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
const rows: Int32Array[] = [];
let seen = 0;
for await (const batch of openReader(join(KIT, 'corpus.parquet'))) {
  for (const text of batch.getChild('text')!.toArray() as string[]) {
    // every 7th row: a mix of memorized and unmemorized rows, as in the whole kit
    if (rows.length < prefixCount && seen++ % 7 === 0) rows.push(tokenizer.encodeTruncated(text, k + m));
  }
  if (rows.length >= prefixCount) break;
}

async function audit(path: string, method: AuditMethod, decoded: boolean): Promise<{ seconds: number; audits: RowAudit[] }> {
  const model = await loadOnnxModel(path, { threads, tokenizerVocab: tokenizer.vocabSize });
  const plan = { method, prefixTokens: k, suffixTokens: m, maxTokens: k + m, decoded, approxThreshold: 0.9 };
  await auditBatch(model, rows.slice(0, 2), plan); // warm-up: session init and first-run allocations
  const start = performance.now();
  const audits: RowAudit[] = [];
  for (let i = 0; i < rows.length; i += batchSize) audits.push(...(await auditBatch(model, rows.slice(i, i + batchSize), plan)));
  const seconds = (performance.now() - start) / 1000;
  await model.close();
  return { seconds, audits };
}

const machine = { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version, load1: +loadavg()[0].toFixed(1) };
const rates: Record<string, number> = {};
const same = (a: RowAudit[], b: RowAudit[]) => a.every((x, i) => x.memorized === b[i].memorized && x.lead === b[i].lead);
const sameDecoded = (a: RowAudit[], b: RowAudit[]) => same(a, b) && a.every((x, i) => x.match_fraction === b[i].match_fraction && x.approx_memorized === b[i].approx_memorized);

async function measure(name: string, graph: string, path: string, method: AuditMethod, decoded: boolean, reference?: RowAudit[]) {
  const { seconds, audits } = await audit(path, method, decoded);
  const rate = rows.length / seconds;
  rates[name] = rate;
  const agrees = reference ? (decoded ? sameDecoded(audits, reference) : same(audits, reference)) : undefined;
  const memorized = audits.filter((a) => a.memorized).length;
  console.log(JSON.stringify({ bench: name, graph, method, decoded, prefixes: rows.length, memorized, k, m, batch: batchSize, threads, seconds: +seconds.toFixed(3), prefixes_per_s: +rate.toFixed(2), agrees_with_greedy: agrees, machine }));
  return audits;
}

const KV_TINY = join(ROOT, 'fixtures', 'kv-tiny');
const recompute = await measure('kv_tiny.greedy.recompute', 'kv-tiny/logits.onnx', join(KV_TINY, 'logits.onnx'), 'greedy', true);
await measure('kv_tiny.greedy.kv_cache', 'kv-tiny/kv.onnx', join(KV_TINY, 'kv.onnx'), 'greedy', true, recompute);
await measure('kv_tiny.one_pass.kv_graph', 'kv-tiny/kv.onnx', join(KV_TINY, 'kv.onnx'), 'one-pass', false, recompute);
await measure('kv_tiny.one_pass.logits_graph', 'kv-tiny/logits.onnx', join(KV_TINY, 'logits.onnx'), 'one-pass', false, recompute);
await measure('kv_tiny.one_pass_approximate.kv_graph', 'kv-tiny/kv.onnx', join(KV_TINY, 'kv.onnx'), 'one-pass', true, recompute);
const student = await measure('student.greedy.recompute', 'brown-tiny/student.onnx', join(KIT, 'student.onnx'), 'greedy', true);
await measure('student.one_pass', 'brown-tiny/student.onnx', join(KIT, 'student.onnx'), 'one-pass', false, student);
await measure('student.one_pass_approximate', 'brown-tiny/student.onnx', join(KIT, 'student.onnx'), 'one-pass', true, student);

const ratio = (a: string, b: string) => +(rates[a] / rates[b]).toFixed(2);
console.log(
  JSON.stringify({
    bench: 'audit.ratios',
    student_one_pass_over_recompute: ratio('student.one_pass', 'student.greedy.recompute'),
    student_approximate_over_recompute: ratio('student.one_pass_approximate', 'student.greedy.recompute'),
    kv_tiny_one_pass_over_kv_cache: ratio('kv_tiny.one_pass.kv_graph', 'kv_tiny.greedy.kv_cache'),
    kv_tiny_one_pass_over_recompute: ratio('kv_tiny.one_pass.logits_graph', 'kv_tiny.greedy.recompute'),
    kv_tiny_kv_cache_over_recompute: ratio('kv_tiny.greedy.kv_cache', 'kv_tiny.greedy.recompute'),
    kv_tiny_approximate_over_kv_cache: ratio('kv_tiny.one_pass_approximate.kv_graph', 'kv_tiny.greedy.kv_cache'),
    machine,
  }),
);
