// Check `memsieve score` on all 5,300 kit rows against golden.parquet (the kit's tolerances): features within
// 1e-3 (zlib 5%), n_tokens identical, teacher/baseline memorized and lead equal golden mem_*/lead_* on ≥ 99.9%
// of rows (the kit's rule for memorization flags; every differing row is named). CI runs it through
// test/score/score-whole-kit.test.ts.   npm run check:score-kit [-- --out out/check-score.parquet]
import { readFileSync } from 'node:fs';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { score } from '../src/score/run.js';

const KIT = 'fixtures/brown-tiny';
const outIndex = process.argv.indexOf('--out');
const output = outIndex > 0 ? process.argv[outIndex + 1] : 'out/check-score.parquet';

const read = async (path: string) => {
  const bytes = readFileSync(path);
  return (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, compressors })) as any[];
};

const summary = await score({
  input: [`${KIT}/corpus.parquet`], output, teacher: `${KIT}/teacher.onnx`, baseline: `${KIT}/baseline.onnx`,
  tokenizer: `${KIT}/tokenizer.json`, maxTokens: 128, quiet: true,
});
const [ours, golden] = await Promise.all([read(output), read(`${KIT}/golden.parquet`)]);
const pairs: [string, string, number][] = [
  ['teacher_nll', 'nll_teacher', 1e-3], ['baseline_nll', 'nll_baseline', 1e-3], ['kl_teacher_baseline', 'kl_tb_T1', 1e-3],
  ['teacher_suffix_entropy', 'suf_entropy_teacher', 1e-3], ['baseline_suffix_entropy', 'suf_entropy_baseline', 1e-3],
  ['teacher_suffix_logprob', 'suf_logprob_teacher', 1e-3], ['baseline_suffix_logprob', 'suf_logprob_baseline', 1e-3],
  ['zlib_bytes', 'zlib_bytes', 0.05],
];
let failures = 0;
const worst: Record<string, number> = {};
ours.forEach((row, i) => {
  const g = golden[i];
  if (row.id !== g.id || row.n_tokens !== Number(g.n_tokens)) failures++;
  for (const [a, b, tol] of pairs) {
    const err = Math.abs(Number(row[a]) - Number(g[b])) / Math.abs(Number(g[b]));
    worst[a] = Math.max(worst[a] ?? 0, err);
    if (!(err <= tol)) failures++;
  }
});
// memorization flags may flip on a near-tied argmax (kit README): count agreement, name the rows that differ
const memorization: Record<string, { agree: number; agreement: number; lead_agree: number; memorized: number; differing: string[] }> = {};
for (const model of ['teacher', 'baseline']) {
  const stats = { agree: 0, agreement: 0, lead_agree: 0, memorized: 0, differing: [] as string[] };
  ours.forEach((row, i) => {
    const g = golden[i];
    const same = row[`${model}_memorized`] === Boolean(g[`mem_${model}`]);
    const sameLead = row[`${model}_lead`] === Number(g[`lead_${model}`]);
    stats.agree += Number(same);
    stats.lead_agree += Number(sameLead);
    stats.memorized += Number(row[`${model}_memorized`] === true);
    if (!same || !sameLead) stats.differing.push(`${row.id}: memorized ${row[`${model}_memorized`]} lead ${row[`${model}_lead`]}, golden ${Boolean(g[`mem_${model}`])} ${Number(g[`lead_${model}`])}`);
  });
  stats.agreement = stats.agree / ours.length;
  if (stats.agreement < 0.999) failures++;
  memorization[model] = stats;
}
console.log(JSON.stringify({ rows: ours.length, failures, worst_relative_error: worst, memorization, tokens_per_s: summary.tokens_per_s }, null, 1));
process.exit(failures === 0 && ours.length === golden.length ? 0 : 1);
