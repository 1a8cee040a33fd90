// train's feature expressions (any score column, log(column)) and per-feature ROC-AUC, against
// scikit-learn on numpy's log of the raw columns; and filter/verify applying the same transform.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { featureSourceColumns, featureValues, parseFeature } from '../../src/risk/feature.js';
import { loadRiskModel, predictRisk, RISK_SCHEMA } from '../../src/risk/schema.js';
import { joinRiskData, runRiskProtocol, trainRiskModel, writeRiskModel } from '../../src/risk/train.js';
import { evaluateRiskModel } from '../../src/evaluate/evaluate.js';
import { computeThreshold } from '../../src/filter/threshold-file.js';
import { mergeShards } from '../../src/pipeline/merge.js';
import { NOTHING_BUT_NO_PROVENANCE, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';
import { makeKitInputs, readParquetRows, type KitInputs } from '../filter/kit-setup.js';
import { itWithSklearn, rowsOf, sklearn, syntheticRiskRows } from './helpers.js';

const RAW = ['teacher_ppl', 'baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy'];
const LOGGED = ['log(teacher_ppl)', 'log(baseline_ppl)', 'kl_teacher_baseline', 'zlib_entropy'];

describe('parseFeature', () => {
  it('reads a column, or log(column); rejects other transforms', () => {
    expect(parseFeature('teacher_ppl')).toEqual({ name: 'teacher_ppl', column: 'teacher_ppl', transform: 'identity' });
    expect(parseFeature('log(teacher_ppl)')).toEqual({ name: 'log(teacher_ppl)', column: 'teacher_ppl', transform: 'log' });
    expect(parseFeature('log( baseline_lead )').column).toBe('baseline_lead');
    expect(() => parseFeature('sqrt(teacher_ppl)')).toThrow(/unknown transform "sqrt"/);
    expect(() => parseFeature('log()')).toThrow(UserError);
    expect(() => parseFeature('log(log(x))')).toThrow(UserError);
    expect(featureSourceColumns(['teacher_ppl', 'log(teacher_ppl)', 'zlib_entropy'])).toEqual(['teacher_ppl', 'zlib_entropy']);
  });
});

describe('train with log features', () => {
  // positive perplexities: the synthetic rows' scales, shifted so every value is > 0
  const { features: raw, labels } = syntheticRiskRows(2500, 21);
  raw[0] = raw[0].map((v) => Math.max(v, 1.5));
  raw[1] = raw[1].map((v) => Math.max(v, 1.5));
  const ids = Array.from({ length: labels.length }, (_, i) => `doc-${String(i).padStart(5, '0')}`);

  itWithSklearn('fits what scikit-learn fits on numpy.log of the columns, and predicts its probabilities', () => {
    const data = joinRiskData({ path: 's', ids, features: raw.map((c) => Array.from(c)) }, { path: 'l', ids, labels: Array.from(labels), labelColumn: 'm' }, LOGGED);
    const result = runRiskProtocol(data, { trials: 4, seed: 5 });
    const rows = result.finalSample;
    const ref = sklearn<{ mean: number[]; scale: number[]; coef: number[]; intercept: number; proba_new: number[] }>({
      task: 'fit',
      x: rowsOf(raw, rows),
      y: Array.from(rows, (i) => labels[i]),
      x_new: rowsOf(raw),
      log_columns: [0, 1],
    });
    for (let j = 0; j < 4; j++) {
      expect(Math.abs(result.scaler.mean[j] - ref.mean[j]) / Math.abs(ref.mean[j])).toBeLessThan(1e-12);
      expect(Math.abs(result.coefficients[j] - ref.coef[j]) / Math.abs(ref.coef[j])).toBeLessThan(1e-3);
    }
    // predictRisk on the model's features made from the raw columns, as the API documents it
    const model = { schema: RISK_SCHEMA, features: LOGGED, ...result } as never;
    const risk = predictRisk(model, featureValues(model, Object.fromEntries(RAW.map((name, j) => [name, raw[j]]))));
    let worst = 0;
    for (let i = 0; i < risk.length; i++) worst = Math.max(worst, Math.abs(risk[i] - ref.proba_new[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  itWithSklearn("reports each feature's ROC-AUC alone over the pooled held-out rows, raw, equal to roc_auc_score", () => {
    const data = joinRiskData({ path: 's', ids, features: raw.map((c) => Array.from(c)) }, { path: 'l', ids, labels: Array.from(labels), labelColumn: 'm' }, LOGGED);
    const result = runRiskProtocol(data, { trials: 6, seed: 2 });
    const auc = result.metrics.feature_roc_auc!;
    expect(Object.keys(auc)).toEqual(LOGGED);
    // data rows are sorted by id, which here is the input order
    const held = result.heldOutRows;
    expect(held.length).toBe(6 * Math.round(0.3 * result.finalPositives) + 6 * Math.round(0.3 * 3 * result.finalPositives));
    for (let j = 0; j < 4; j++) {
      const logged = j < 2;
      const ref = sklearn<{ roc_auc: number }>({
        task: 'metrics',
        y: Array.from(held, (i) => labels[i]),
        score: Array.from(held, (i) => (logged ? Math.log(raw[j][i]) : raw[j][i])),
      });
      expect(Math.abs(auc[LOGGED[j]] - ref.roc_auc)).toBeLessThan(1e-12);
    }
    // raw orientation: baseline perplexity is lower for memorized rows in these data (coefficient −0.6)
    expect(auc['log(baseline_ppl)']).toBeLessThan(0.5);
    // log is monotone: the same AUC as the raw column
    const plain = runRiskProtocol({ ...data, featureNames: RAW, features: raw }, { trials: 6, seed: 2 });
    expect(plain.metrics.feature_roc_auc!.baseline_ppl).toBeCloseTo(auc['log(baseline_ppl)'], 12);
  });
});

function writeScoresFile(path: string, ids: string[], columns: Record<string, ArrayLike<number>>) {
  parquetWriteFile({
    filename: path,
    columnData: [{ name: 'id', data: ids, type: 'STRING' }, ...Object.entries(columns).map(([name, data]) => ({ name, data: Array.from(data), type: 'DOUBLE' as const }))],
  });
}

describe('memsieve train --features with log() (CLI)', () => {
  const { features: raw, labels } = syntheticRiskRows(600, 3);
  raw[0] = raw[0].map((v) => Math.max(v, 1.5));
  const ids = Array.from({ length: labels.length }, (_, i) => `row-${i}`);

  function inputs(override?: (cols: Record<string, Float64Array>) => void) {
    const dir = tempDir();
    const cols = Object.fromEntries(RAW.map((name, j) => [name, Float64Array.from(raw[j])]));
    override?.(cols);
    const scores = join(dir, 'scores.parquet');
    const labelsPath = join(dir, 'audit.parquet');
    writeScoresFile(scores, ids, cols);
    parquetWriteFile({
      filename: labelsPath,
      columnData: [
        { name: 'id', data: ids, type: 'STRING' },
        { name: 'memorized', data: Array.from(labels, Boolean), type: 'BOOLEAN' },
      ],
    });
    return { dir, scores, labels: labelsPath, output: join(dir, 'risk.json') };
  }

  it('records the transform in risk.json and prints each feature alone', async () => {
    const io = inputs();
    const result = runCli(['train', '--scores', io.scores, '--labels', io.labels, '--features', 'log(teacher_ppl),baseline_ppl,kl_teacher_baseline', '--trials', '3', '--output', io.output]);
    expect(result.stderr).toMatch(NOTHING_BUT_NO_PROVENANCE);
    expect(result.status).toBe(0);
    const model = await loadRiskModel(io.output);
    expect(model.features).toEqual(['log(teacher_ppl)', 'baseline_ppl', 'kl_teacher_baseline']);
    const auc = model.metrics.feature_roc_auc!;
    for (const name of model.features) {
      expect(result.stdout).toMatch(new RegExp(`${name.replace(/[()]/g, '\\$&')}\\s.*alone ROC-AUC ${auc[name].toFixed(3)}`));
    }
  });

  it('a non-positive value under log: error naming the file, the row id and the column; no risk.json', () => {
    const io = inputs((cols) => {
      cols.baseline_ppl[17] = 0;
    });
    const result = runCli(['train', '--scores', io.scores, '--labels', io.labels, '--features', 'teacher_ppl,log(baseline_ppl)', '--trials', '2', '--output', io.output]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(io.scores);
    expect(result.stderr).toContain('row id "row-17"');
    expect(result.stderr).toContain('baseline_ppl = 0');
    expect(result.stderr).toContain('log(baseline_ppl) needs a positive value');
    expect(existsSync(io.output)).toBe(false);
  });

  it('a non-numeric column is refused, naming the column', () => {
    const dir = tempDir();
    const scores = join(dir, 'scores.parquet');
    const labelsPath = join(dir, 'audit.parquet');
    parquetWriteFile({
      filename: scores,
      columnData: [
        { name: 'id', data: ids, type: 'STRING' },
        { name: 'teacher_ppl', data: Array.from(raw[0]), type: 'DOUBLE' },
        { name: 'teacher_memorized', data: Array.from(labels, Boolean), type: 'BOOLEAN' },
        { name: 'teacher_lead', data: Array.from(labels, (l, i) => l * 40 + (i % 7)), type: 'INT32' },
      ],
    });
    parquetWriteFile({ filename: labelsPath, columnData: [{ name: 'id', data: ids, type: 'STRING' }, { name: 'memorized', data: Array.from(labels, Boolean), type: 'BOOLEAN' }] });
    const bad = runCli(['train', '--scores', scores, '--labels', labelsPath, '--features', 'teacher_ppl,teacher_memorized', '--trials', '2', '--output', join(dir, 'r.json')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('column teacher_memorized holds boolean values');
    // an integer column (score's leads are int32) is a numeric feature
    const ok = runCli(['train', '--scores', scores, '--labels', labelsPath, '--features', 'teacher_ppl,teacher_lead', '--trials', '2', '--output', join(dir, 'r.json')]);
    expect(ok.stderr).toMatch(NOTHING_BUT_NO_PROVENANCE);
    expect(ok.status).toBe(0);
  });

  it('an unknown transform is refused before reading', () => {
    const io = inputs();
    const result = runCli(['train', '--scores', io.scores, '--labels', io.labels, '--features', 'exp(teacher_ppl)', '--output', io.output]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown transform "exp"');
  });
});

describe('filter and verify --check-risk apply the log transform of risk.json', () => {
  let kit: KitInputs;
  let model: string;
  /** float64 risk of kit row i, written here from the formula in docs/risk.md (numpy-free, no memsieve code) */
  let parsed: { coefficients: number[]; scaler: { mean: number[]; std: number[] }; intercept: number } | undefined;
  const referenceRisk = (i: number) => {
    const m = (parsed ??= JSON.parse(readFileSync(model, 'utf8')))!;
    const x = [Math.log(kit.features.teacher_ppl[i]), Math.log(kit.features.baseline_ppl[i]), kit.features.kl_teacher_baseline[i], kit.features.zlib_entropy[i]];
    return 1 / (1 + Math.exp(-x.reduce((s, v, j) => s + (m.coefficients[j] * (v - m.scaler.mean[j])) / m.scaler.std[j], m.intercept)));
  };
  beforeAll(async () => {
    kit = await makeKitInputs();
    model = join(kit.dir, 'risk-log.json');
    await writeRiskModel(model, await trainRiskModel({ scores: kit.scores, labels: join(kit.dir, 'labels.parquet'), labelColumn: 'mem_student', features: LOGGED, trials: 3 }));
  });

  it("removes rows by the model's risk of log features; removed rows' log-odds terms sum to logit(risk)", async () => {
    const out = tempDir();
    const args = ['filter', '--input', kit.corpus, '--scores', kit.scores, '--model', model, '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'), '--report', join(out, 'report'), '--target-recall', '0.95'];
    const result = runCli(args);
    expect(result.stderr).toMatch(NOTHING_BUT_NO_PROVENANCE);
    expect(result.status).toBe(0);
    const m = JSON.parse(readFileSync(model, 'utf8'));
    const removed = await readParquetRows(join(out, 'removed.parquet'));
    expect(removed.length).toBeGreaterThan(0);
    const row = new Map(kit.ids.map((id, i) => [id, i]));
    for (const r of removed) expect(Math.abs(r.risk - referenceRisk(row.get(String(r.id))!))).toBeLessThan(1e-12);
    const manifest = JSON.parse(readFileSync(join(out, 'report', 'manifest.json'), 'utf8'));
    expect(manifest.model.features).toEqual(LOGGED);
    const list = readFileSync(join(out, 'report', manifest.removed_rows.path), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(list.length).toBe(removed.length);
    for (const entry of list.slice(0, 50)) {
      const i = row.get(entry.id)!;
      expect(entry.features['log(teacher_ppl)']).toBeCloseTo(Math.log(kit.features.teacher_ppl[i]), 12);
      const sum = Object.values(entry.log_odds as Record<string, number>).reduce((s, v) => s + v, m.intercept);
      expect(sum).toBeCloseTo(Math.log(entry.risk / (1 - entry.risk)), 9);
    }
    const verify = runCli(['verify', '--report', join(out, 'report'), '--check-risk']);
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
  });

  itWithSklearn('evaluate applies the transform: its ROC-AUC is roc_auc_score of the float64 risk of log features', async () => {
    const risk = kit.ids.map((_, i) => referenceRisk(i));
    const ref = sklearn<{ roc_auc: number }>({ task: 'metrics', y: kit.memStudent.map(Number), score: risk });
    const evaluation = await evaluateRiskModel({ model, scores: kit.scores, labels: join(kit.dir, 'labels.parquet'), labelColumn: 'mem_student' });
    expect(Math.abs(evaluation.roc_auc - ref.roc_auc)).toBeLessThan(1e-12);
  });

  it("the sharded threshold step (--remove-top's reduce) cuts at the float64 risk of log features", async () => {
    const risk = kit.ids.map((_, i) => referenceRisk(i));
    const expected = [...risk].sort((a, b) => b - a)[Math.ceil(0.05 * risk.length) - 1];
    const output = join(tempDir(), 'cut.threshold.json');
    for (let index = 0; index < 3; index++) await computeThreshold({ scores: kit.scores, model, removeTop: 0.05, output, shard: { index, count: 3 } });
    await mergeShards(output, { count: 3 });
    expect(Math.abs(JSON.parse(readFileSync(output, 'utf8')).value - expected)).toBeLessThan(1e-12);
  });

  it('a non-positive value in the scores at filter time: error naming the id and column', async () => {
    const dir = tempDir();
    const scores = join(dir, 'scores.parquet');
    const teacher = Float64Array.from(kit.features.teacher_ppl);
    teacher[99] = -1;
    writeScoresFile(scores, kit.ids, { teacher_ppl: teacher, baseline_ppl: kit.features.baseline_ppl, kl_teacher_baseline: kit.features.kl_teacher_baseline, zlib_entropy: kit.features.zlib_entropy });
    const out = tempDir();
    const result = runCli(['filter', '--input', kit.corpus, '--scores', scores, '--model', model, '--clean', join(out, 'c.parquet'), '--removed', join(out, 'r.parquet'), '--report', join(out, 'report')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`id ${kit.ids[99]}`);
    expect(result.stderr).toContain('teacher_ppl = -1');
    expect(existsSync(join(out, 'c.parquet'))).toBe(false);
  });
});
