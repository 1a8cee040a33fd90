// The classifier's feature sets measured on the kit (docs/risk.md, "Which features"): for each set,
// train's ROC-AUC and average precision (trials mean ± std), and at --target-recall 0.95 the rows a
// filter removes and the student-memorized rows among them, in-sample (train on the kit, filter the
// kit) and 2-fold (train on one half of the ids, filter the other half with that half's threshold).
//   npx tsx scripts/measure-risk-features.ts [--scores kit-scores.parquet] [--trials 100]
// Without --scores the columns come from golden.parquet (kit README definitions; leads from lead_*);
// with it, from that file (memsieve score's own output on the kit corpus), which may add more columns.
import { createHash } from 'node:crypto';
import { openReader, tableColumnValues } from '../src/io/index.js';
import { featureSourceColumns, featureValues } from '../src/risk/feature.js';
import { predictRisk, RISK_SCHEMA, thresholdForRecall, type RiskModel } from '../src/risk/schema.js';
import { joinRiskData, runRiskProtocol, type RiskData } from '../src/risk/train.js';

const KIT = 'fixtures/brown-tiny';
const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const scoresPath = argument('--scores');
const trials = Number(argument('--trials') ?? 100);
const TARGET_RECALL = 0.95;

const PAPER = ['teacher_ppl', 'baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy'];
const SETS: [string, string[]][] = [
  ['the paper\'s four', PAPER],
  ['four, log perplexities', ['log(teacher_ppl)', 'log(baseline_ppl)', 'kl_teacher_baseline', 'zlib_entropy']],
  ['four, all logged', PAPER.map((f) => `log(${f})`)],
  ['four + leads', [...PAPER, 'teacher_lead', 'baseline_lead']],
  ['four + Min-K%++', [...PAPER, 'teacher_minkpp', 'baseline_minkpp']],
  ['four + Min-K%', [...PAPER, 'teacher_mink', 'baseline_mink']],
  ['four + zlib ratio', [...PAPER, 'teacher_zlib_ratio']],
  ['log perplexities + leads + Min-K%++', ['log(teacher_ppl)', 'log(baseline_ppl)', 'kl_teacher_baseline', 'zlib_entropy', 'teacher_lead', 'baseline_lead', 'teacher_minkpp', 'baseline_minkpp']],
];

async function readTable(path: string): Promise<Record<string, unknown[]>> {
  const columns: Record<string, unknown[]> = {};
  for await (const batch of openReader(path)) {
    for (const field of batch.schema.fields) {
      const values = tableColumnValues(batch, field.name)!;
      (columns[field.name] ??= []).push(...values);
    }
  }
  return columns;
}

const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));
const golden = await readTable(`${KIT}/golden.parquet`);
const ids = golden.id.map(String);
const labels = golden.mem_student.map((v) => (v ? 1 : 0));
let table: Record<string, number[]>;
if (scoresPath) {
  const scores = await readTable(scoresPath);
  const order = new Map(scores.id.map((id, i) => [String(id), i]));
  table = Object.fromEntries(
    Object.entries(scores)
      .filter(([name, values]) => name !== 'id' && values.some((v) => typeof v === 'number' || typeof v === 'bigint'))
      .map(([name, values]) => [name, ids.map((id) => num(values[order.get(id)!]))]),
  );
} else {
  table = {
    teacher_ppl: golden.nll_teacher.map((v) => Math.exp(num(v))),
    baseline_ppl: golden.nll_baseline.map((v) => Math.exp(num(v))),
    kl_teacher_baseline: golden.kl_tb_T1.map(num),
    zlib_entropy: golden.zlib_bytes.map((v, i) => (8 * num(v)) / num(golden.n_tokens[i])),
    teacher_lead: golden.lead_teacher.map(num),
    baseline_lead: golden.lead_baseline.map(num),
  };
}
const memorized = labels.reduce((s, v) => s + v, 0);

/** Half of the ids by a hash: fold 0 or 1. */
const fold = ids.map((id) => createHash('sha1').update(id).digest()[0] & 1);

function data(rows: number[], features: string[]): RiskData {
  return joinRiskData(
    { path: 'scores', ids: rows.map((i) => ids[i]), features: features.map((f) => rows.map((i) => table[featureSourceColumns([f])[0]][i])) },
    { path: 'labels', ids: rows.map((i) => ids[i]), labels: rows.map((i) => labels[i]), labelColumn: 'mem_student' },
    features,
  );
}

function fitModel(rows: number[], features: string[]): RiskModel {
  const result = runRiskProtocol(data(rows, features), { trials, seed: 0 });
  return { schema: RISK_SCHEMA, features, ...result, threshold: 0.5, provenance: undefined as never };
}

/** Rows flagged at the model's threshold for the target recall, and memorized rows among them. */
function filterRows(model: RiskModel, rows: number[]): { removed: number; caught: number } {
  const columns = Object.fromEntries(featureSourceColumns(model.features).map((c) => [c, Float64Array.from(rows, (i) => table[c][i])]));
  const risk = predictRisk(model, featureValues(model, columns));
  const t = thresholdForRecall(model, TARGET_RECALL);
  let removed = 0;
  let caught = 0;
  rows.forEach((row, k) => {
    if (risk[k] >= t) {
      removed++;
      caught += labels[row];
    }
  });
  return { removed, caught };
}

const all = ids.map((_, i) => i);
const f = (m: { mean: number; std: number }) => `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}`;
console.log(`kit: ${ids.length} rows, ${memorized} student-memorized; columns from ${scoresPath ?? 'golden.parquet'}; ${trials} trials, seed 0, target recall ${TARGET_RECALL}`);
console.log('| features | ROC-AUC | AP | removed (in-sample) | caught (in-sample) | removed (2-fold) | caught (2-fold) | each feature alone: ROC-AUC |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [label, features] of SETS) {
  const missing = featureSourceColumns(features).filter((c) => !(c in table));
  if (missing.length) {
    console.log(`| ${label} | not measured: no column ${missing.join(', ')} |`);
    continue;
  }
  const model = fitModel(all, features);
  const inSample = filterRows(model, all);
  const halves = [0, 1].map((k) => all.filter((i) => fold[i] === k));
  const crossed = [filterRows(fitModel(halves[0], features), halves[1]), filterRows(fitModel(halves[1], features), halves[0])];
  const removed2 = crossed[0].removed + crossed[1].removed;
  const caught2 = crossed[0].caught + crossed[1].caught;
  const pct = (n: number) => `${n} (${((100 * n) / ids.length).toFixed(1)}%)`;
  const alone = features.map((name) => `${name} ${model.metrics.feature_roc_auc![name].toFixed(3)}`).join(', ');
  console.log(
    `| ${label}: ${features.map((x) => `\`${x}\``).join(', ')} | ${f(model.metrics.roc_auc)} | ${f(model.metrics.average_precision)} | ${pct(inSample.removed)} | ${inSample.caught} / ${memorized} | ${pct(removed2)} | ${caught2} / ${memorized} | ${alone} |`,
  );
}
