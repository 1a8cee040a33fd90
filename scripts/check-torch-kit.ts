// Score and audit the kit through the PyTorch worker (TypeScript client → Python process) and compare
// with golden.parquet. For the GPU machine (needs transformers):
//   MEMSIEVE_PYTHON=python3 npx tsx scripts/check-torch-kit.ts [--device cuda] [--dtype float32|bfloat16] [--rows N]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { countLead } from '../src/audit/measures.js';
import { onePassMeasures } from '../src/audit/onepass.js';
import { openReader } from '../src/io/index.js';
import { startTorchWorker } from '../src/models/torch-worker.js';
import { loadTokenizer } from '../src/text/tokenizer.js';

const KIT = join(import.meta.dirname, '..', 'fixtures', 'brown-tiny');
const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'auto' },
    dtype: { type: 'string', default: 'float32' },
    rows: { type: 'string' },
    'batch-rows': { type: 'string', default: '1024' },
  },
});
const limit = values.rows ? Number(values.rows) : Infinity;

async function rowsOf(path: string): Promise<Record<string, any>[]> {
  const rows: Record<string, any>[] = [];
  for await (const batch of openReader(path)) for (const row of batch.toArray()) if (rows.length < limit) rows.push(row.toJSON());
  return rows;
}

const tokenizer = await loadTokenizer(join(KIT, 'tokenizer.json'));
const corpus = await rowsOf(join(KIT, 'corpus.parquet'));
const golden = await rowsOf(join(KIT, 'golden.parquet'));
const ids = corpus.map((r) => tokenizer.encodeTruncated(r.text, 128));
const tokens = ids.reduce((s, r) => s + r.length, 0);
const worker = await startTorchWorker({
  teacher: join(KIT, 'hf', 'teacher'),
  baseline: join(KIT, 'hf', 'baseline'),
  model: join(KIT, 'hf', 'student'),
  device: values.device,
  dtype: values.dtype,
});
try {
  console.log(`worker: ${JSON.stringify({ device: worker.info?.device, dtype: worker.info?.dtype, torch: worker.info?.torch })}`);
  const step = Number(values['batch-rows']);
  const cols: Record<string, number[]> = {};
  let started = performance.now();
  for (let a = 0; a < ids.length; a += step) {
    const s = await worker.scorePairs(ids.slice(a, a + step), { temperature: 1, prefixTokens: 50, suffixTokens: 50 });
    for (const [k, v] of Object.entries(s)) (cols[k] ??= []).push(...v);
  }
  const scoreSeconds = (performance.now() - started) / 1000;
  const pairs: [string, string][] = [
    ['teacher_nll', 'nll_teacher'],
    ['baseline_nll', 'nll_baseline'],
    ['kl_teacher_baseline', 'kl_tb_T1'],
    ['teacher_suffix_entropy', 'suf_entropy_teacher'],
    ['baseline_suffix_entropy', 'suf_entropy_baseline'],
    ['teacher_suffix_logprob', 'suf_logprob_teacher'],
    ['baseline_suffix_logprob', 'suf_logprob_baseline'],
  ];
  const diffs: Record<string, number> = {};
  for (const [ours, theirs] of pairs) {
    diffs[ours] = Math.max(...golden.map((g, i) => Math.abs(cols[ours][i] - g[theirs]) / Math.max(1, Math.abs(g[theirs]))));
  }
  console.log(`score: ${ids.length} rows, ${tokens} tokens in ${scoreSeconds.toFixed(2)} s (${Math.round(tokens / scoreSeconds)} tokens/s, both models, through the TS client)`);
  console.log(`max relative diff vs golden: ${JSON.stringify(diffs)}`);
  started = performance.now();
  const prefixes = ids.map((r) => r.slice(0, 50));
  const generated: Int32Array[] = [];
  for (let a = 0; a < prefixes.length; a += step) generated.push(...(await worker.greedy(prefixes.slice(a, a + step), 50)));
  const auditSeconds = (performance.now() - started) / 1000;
  let memorized = 0;
  let agree = 0;
  generated.forEach((g, i) => {
    const mem = g.every((t, j) => t === ids[i][50 + j]);
    memorized += mem ? 1 : 0;
    agree += mem === Boolean(golden[i].mem_student) ? 1 : 0;
  });
  console.log(`audit (student): ${memorized} memorized of ${ids.length}, agreement with golden ${(agree / ids.length).toFixed(5)}, ${(ids.length / auditSeconds).toFixed(0)} prefixes/s`);
  // the one-pass method (docs/audit.md): memorized and lead from one teacher-forced pass
  started = performance.now();
  const predicted: Int32Array[] = [];
  for (let a = 0; a < ids.length; a += step) predicted.push(...(await worker.teacherForcedArgmax(ids.slice(a, a + step).map((r) => r.slice(0, 100)), 50)));
  const onePassSeconds = (performance.now() - started) / 1000;
  let onePassAgree = 0;
  let sameAsGreedy = 0;
  predicted.forEach((p, i) => {
    const one = onePassMeasures(ids[i].subarray(50, 100), p);
    onePassAgree += one.memorized === Boolean(golden[i].mem_student) && one.lead === Number(golden[i].lead_student) ? 1 : 0;
    sameAsGreedy += one.lead === countLead(ids[i].subarray(50, 100), generated[i]) ? 1 : 0;
  });
  console.log(
    `audit one-pass (student): memorized and lead equal golden on ${(onePassAgree / ids.length).toFixed(5)}, equal greedy on ${(sameAsGreedy / ids.length).toFixed(5)}, ${(ids.length / onePassSeconds).toFixed(0)} prefixes/s`,
  );
} finally {
  await worker.close();
}
