import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadRiskModel, predictRisk, RISK_SCHEMA } from '../../src/risk/schema.js';
import { joinRiskData, runRiskProtocol, type RiskData } from '../../src/risk/train.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';
import { itWithSklearn, rowsOf, sklearn, syntheticRiskRows } from './helpers.js';

const FEATURES = ['teacher_ppl', 'baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy'];

function syntheticData(n: number, seed: number): RiskData {
  const { features, labels } = syntheticRiskRows(n, seed);
  return { ids: Array.from({ length: n }, (_, i) => `doc-${i}`), featureNames: FEATURES, features, labels };
}

describe('runRiskProtocol', () => {
  const data = syntheticData(3000, 7);
  const positives = data.labels.reduce((s, v) => s + v, 0);

  itWithSklearn('final model equals scikit-learn fitted on the same sample', () => {
    const result = runRiskProtocol(data, { trials: 5, seed: 3 });
    const rows = result.finalSample;
    // all positives and 3× as many distinct negatives
    expect(result.finalPositives).toBe(positives);
    expect(rows.length).toBe(4 * positives);
    expect(new Set(rows).size).toBe(rows.length);
    expect(Array.from(rows.subarray(0, positives)).every((i) => data.labels[i] === 1)).toBe(true);
    expect(Array.from(rows.subarray(positives)).every((i) => data.labels[i] === 0)).toBe(true);

    const ref = sklearn<{ mean: number[]; scale: number[]; coef: number[]; intercept: number; proba_new: number[] }>({
      task: 'fit',
      x: rowsOf(data.features, rows),
      y: Array.from(rows, (i) => data.labels[i]),
      x_new: rowsOf(data.features),
    });
    for (let j = 0; j < 4; j++) {
      expect(Math.abs(result.scaler.mean[j] - ref.mean[j]) / Math.abs(ref.mean[j])).toBeLessThan(1e-12);
      expect(Math.abs(result.scaler.std[j] - ref.scale[j]) / ref.scale[j]).toBeLessThan(1e-12);
      expect(Math.abs(result.coefficients[j] - ref.coef[j]) / Math.abs(ref.coef[j])).toBeLessThan(1e-3);
    }
    expect(Math.abs(result.intercept - ref.intercept) / Math.abs(ref.intercept)).toBeLessThan(1e-3);
    const model = { schema: RISK_SCHEMA, features: FEATURES, ...result } as never;
    const risk = predictRisk(model, data.features);
    let worst = 0;
    for (let i = 0; i < risk.length; i++) worst = Math.max(worst, Math.abs(risk[i] - ref.proba_new[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  it('is reproducible from the seed; trial k does not depend on how many trials run', () => {
    const a = runRiskProtocol(data, { trials: 4, seed: 11 });
    const b = runRiskProtocol(data, { trials: 4, seed: 11 });
    const c = runRiskProtocol(data, { trials: 4, seed: 12 });
    expect(b.metrics).toEqual(a.metrics);
    expect(b.coefficients).toEqual(a.coefficients);
    expect(Array.from(c.finalSample)).not.toEqual(Array.from(a.finalSample));
    const one = runRiskProtocol(data, { trials: 1, seed: 11 });
    const two = runRiskProtocol(data, { trials: 2, seed: 11 });
    // with two trials the mean is (trial1 + trial2)/2 and the std |trial1 − trial2|/2
    const t1 = one.metrics.roc_auc.mean;
    const t2 = 2 * two.metrics.roc_auc.mean - t1;
    expect(two.metrics.roc_auc.std).toBeCloseTo(Math.abs(t1 - t2) / 2, 12);
    expect(Array.from(one.finalSample)).toEqual(Array.from(two.finalSample));
  });

  it('uses every negative when there are fewer than r per positive', () => {
    const labels = Uint8Array.from(data.labels);
    const result = runRiskProtocol({ ...data, labels }, { trials: 2, negativesPerPositive: 100 });
    expect(result.finalSample.length).toBe(labels.length);
  });

  it('rejects labels without positives or negatives', () => {
    const none = { ...data, labels: new Uint8Array(data.labels.length) };
    expect(() => runRiskProtocol(none)).toThrow(UserError);
    expect(() => runRiskProtocol(none)).toThrow(/no row as memorized/);
    const all = { ...data, labels: new Uint8Array(data.labels.length).fill(1) };
    expect(() => runRiskProtocol(all)).toThrow(/every row as memorized/);
  });
});

/** A scores and a labels Parquet file for the CLI. */
function writeInputs(dir: string, options: { n?: number; labelIds?: string[]; labels?: (boolean | null)[]; teacher?: (number | null)[]; keep?: (i: number) => boolean } = {}) {
  const { features, labels } = syntheticRiskRows(options.n ?? 400, 5);
  const rows = Array.from({ length: labels.length }, (_, i) => i).filter(options.keep ?? (() => true));
  const n = rows.length;
  const pick = <T,>(values: ArrayLike<T>) => rows.map((i) => values[i]);
  const ids = rows.map((i) => `row-${i}`);
  const scores = join(dir, 'scores.parquet');
  const labelsPath = join(dir, 'audit.parquet');
  parquetWriteFile({
    filename: scores,
    columnData: [
      { name: 'id', data: ids, type: 'STRING' },
      { name: 'teacher_ppl', data: options.teacher ?? pick(features[0]), type: 'DOUBLE', nullable: true },
      { name: 'baseline_ppl', data: pick(features[1]), type: 'DOUBLE' },
      { name: 'kl_teacher_baseline', data: pick(features[2]), type: 'DOUBLE' },
      { name: 'zlib_entropy', data: pick(features[3]), type: 'DOUBLE' },
      { name: 'text', data: ids.map((id) => `text of ${id}`), type: 'STRING' },
    ],
  });
  parquetWriteFile({
    filename: labelsPath,
    columnData: [
      { name: 'id', data: options.labelIds ?? ids, type: 'STRING' },
      { name: 'memorized', data: options.labels ?? pick(labels).map((v) => v === 1), type: 'BOOLEAN', nullable: true },
    ],
  });
  return { scores, labels: labelsPath, output: join(dir, 'risk.json'), n, positives: pick(labels).reduce((s, v) => s + v, 0) };
}

const trainArgs = (f: { scores: string; labels: string; output: string }, extra: string[] = []) => [
  'train',
  '--scores',
  f.scores,
  '--labels',
  f.labels,
  '--output',
  f.output,
  '--trials',
  '10',
  ...extra,
];

describe('memsieve train (CLI)', () => {
  it('leaves out rows an audit left unlabelled (too short), with their null features, and says so', async () => {
    const short = (i: number) => i % 9 === 4;
    const { features, labels } = syntheticRiskRows(400, 5);
    const withShort = writeInputs(tempDir(), {
      labels: Array.from(labels, (v, i) => (short(i) ? null : v === 1)),
      teacher: Array.from(features[0], (v, i) => (short(i) ? null : v)),
    });
    const withoutShort = writeInputs(tempDir(), { keep: (i) => !short(i) });
    const result = runCli(trainArgs(withShort));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('44 rows without a label (unaudited: too short for the audit) left out');
    expect(runCli(trainArgs(withoutShort)).status).toBe(0);
    const [a, b] = await Promise.all([loadRiskModel(withShort.output), loadRiskModel(withoutShort.output)]);
    expect(a.provenance).toMatchObject({ joined_rows: 356, unlabelled_rows: 44 });
    expect(a.coefficients).toEqual(b.coefficients);
    expect(a.metrics.roc_auc).toEqual(b.metrics.roc_auc);
  });

  it('writes a loadable risk.json with metrics, curves and provenance, and prints a summary', async () => {
    const dir = tempDir();
    const f = writeInputs(dir);
    const result = runCli(trainArgs(f, ['--seed', '4']));
    expect(result.stderr).not.toMatch(/error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/ROC-AUC 0\.\d{3} ± 0\.\d{3}/);
    const model = await loadRiskModel(f.output);
    expect(model.schema).toBe('memsieve.risk/v1');
    expect(model.features).toEqual(FEATURES);
    expect(model.metrics.roc_auc.mean).toBeGreaterThan(0.8);
    expect(model.metrics.roc_auc.std).toBeGreaterThan(0);
    expect(Object.keys(model.metrics.coefficients)).toEqual(FEATURES);
    expect(model.roc.thresholds[0]).toBe(Infinity);
    expect(model.roc.tpr[model.roc.tpr.length - 1]).toBe(1);
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(model.provenance.inputs.scores).toEqual({ path: f.scores, sha256: sha(f.scores), rows: f.n, rows_fingerprint: { columns: ['id', ...FEATURES], value: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(model.provenance.inputs.labels.sha256).toBe(sha(f.labels));
    expect(model.provenance).toMatchObject({ seed: 4, trials: 10, negatives_per_positive: 3, test_fraction: 0.3, label_column: 'memorized', positives: f.positives });
    expect(model.provenance.final_sample).toEqual({ positives: f.positives, negatives: 3 * f.positives });
    expect(readdirSync(dir).sort()).toEqual(['audit.parquet', 'risk.json', 'scores.parquet']);
  });

  // each bad input: exit code 2, a message naming the problem, and no risk.json (nor temp file) left behind
  const expectRejected = (dir: string, args: string[], message: RegExp) => {
    const result = runCli(args);
    expect(result.stderr).toMatch(message);
    expect(result.status).toBe(2);
    expect(readdirSync(dir).filter((name) => name.startsWith('risk.json'))).toEqual([]);
  };

  it('labels with no positives', () => {
    const dir = tempDir();
    const f = writeInputs(dir, { labels: new Array(400).fill(false) });
    expectRejected(dir, trainArgs(f), /memsieve: error: .*no row as memorized/);
  });

  it('labels with no negatives', () => {
    const dir = tempDir();
    const f = writeInputs(dir, { labels: new Array(400).fill(true) });
    expectRejected(dir, trainArgs(f), /every row as memorized/);
  });

  it('NaN and missing features name the row id and the feature', () => {
    const { features } = syntheticRiskRows(400, 5);
    const nan = Array.from(features[0]) as (number | null)[];
    nan[17] = NaN;
    let dir = tempDir();
    expectRejected(dir, trainArgs(writeInputs(dir, { teacher: nan })), /row id "row-17" has teacher_ppl = NaN/);
    const missing = Array.from(features[0]) as (number | null)[];
    missing[230] = null;
    dir = tempDir();
    expectRejected(dir, trainArgs(writeInputs(dir, { teacher: missing })), /row id "row-230" has teacher_ppl = missing/);
  });

  it('scores and labels with different ids', () => {
    let dir = tempDir();
    const disjoint = Array.from({ length: 400 }, (_, i) => `other-${i}`);
    expectRejected(dir, trainArgs(writeInputs(dir, { labelIds: disjoint })), /hold different ids: 400 scored ids have no label \(first: "row-0"/);
    dir = tempDir();
    const oneOff = Array.from({ length: 400 }, (_, i) => (i === 399 ? 'row-9999' : `row-${i}`));
    expectRejected(dir, trainArgs(writeInputs(dir, { labelIds: oneOff })), /1 scored ids have no label \(first: "row-399"\); 1 labelled ids have no scores \(first: "row-9999"\)/);
  });

  it('unknown feature name and unknown label column', () => {
    let dir = tempDir();
    const f = writeInputs(dir);
    expectRejected(dir, trainArgs(f, ['--features', 'teacher_ppl,teacher_perplexity']), /--scores .*has no column "teacher_perplexity" \(its columns: id, teacher_ppl/);
    dir = tempDir();
    const g = writeInputs(dir);
    expectRejected(dir, trainArgs(g, ['--label-column', 'mem_student']), /--labels .*has no column "mem_student"/);
  });

  it('bad options', () => {
    const dir = tempDir();
    const f = writeInputs(dir);
    expectRejected(dir, trainArgs(f, ['--test-fraction', '1.5']), /--test-fraction 1.5: expected a fraction in \(0, 1\) or a percentage/);
    expectRejected(dir, trainArgs(f, ['--trials', 'many']), /--trials expects a number/);
  });
});

describe('loadRiskModel', () => {
  it('rejects a risk.json of another schema version, naming the file', async () => {
    const dir = tempDir();
    const f = writeInputs(dir);
    expect(runCli(trainArgs(f)).status).toBe(0);
    const model = JSON.parse(readFileSync(f.output, 'utf8'));
    const other = join(dir, 'risk-v2.json');
    writeFileSync(other, JSON.stringify({ ...model, schema: 'memsieve.risk/v2' }));
    await expect(loadRiskModel(other)).rejects.toThrow(UserError);
    await expect(loadRiskModel(other)).rejects.toThrow(`${other}: risk model schema is "memsieve.risk/v2"`);
    const broken = join(dir, 'risk-broken.json');
    writeFileSync(broken, JSON.stringify({ ...model, coefficients: [1, 2] }));
    await expect(loadRiskModel(broken)).rejects.toThrow(/"coefficients" must hold 4 finite numbers/);
    await expect(loadRiskModel(join(dir, 'absent.json'))).rejects.toThrow(/cannot read risk model .*ENOENT/);
    expect(existsSync(f.output)).toBe(true);
  });
});

describe('joinRiskData and other inputs', () => {
  const features = [[1, 2, 3]];
  it('rejects duplicated ids and labels that are not booleans or 0/1', () => {
    const scores = { path: 's.parquet', ids: ['a', 'b', 'c'], features };
    expect(() => joinRiskData(scores, { path: 'l.parquet', ids: ['a', 'b', 'b'], labels: [1, 0, 1], labelColumn: 'memorized' }, ['x'])).toThrow(
      /l\.parquet: id "b" occurs twice/,
    );
    expect(() => joinRiskData(scores, { path: 'l.parquet', ids: ['a', 'b', 'c'], labels: [1, 2, 0], labelColumn: 'memorized' }, ['x'])).toThrow(
      /row id "b" has memorized = "2"; labels must be true\/false, 1\/0 or null/,
    );
  });

  it('leaves out and counts rows with a null label (unaudited), whatever their features', () => {
    const data = joinRiskData(
      { path: 's', ids: ['c', 'a', 'b', 'd'], features: [[3, 1, null, 4]] },
      { path: 'l', ids: ['a', 'b', 'c', 'd'], labels: [1, null, 0, undefined], labelColumn: 'm' },
      ['x'],
    );
    expect(data.ids).toEqual(['a', 'c']);
    expect(Array.from(data.labels)).toEqual([1, 0]);
    expect(Array.from(data.features[0])).toEqual([1, 3]);
    expect(data.unlabelled).toBe(2);
  });

  it('joins integer ids with string ids, rows sorted by id', () => {
    const data = joinRiskData(
      { path: 's', ids: [3n, 1n, 2n], features: [[30, 10, 20]] },
      { path: 'l', ids: ['1', '2', '3'], labels: [true, false, 1n], labelColumn: 'm' },
      ['x'],
    );
    expect(data.ids).toEqual(['1', '2', '3']);
    expect(Array.from(data.labels)).toEqual([1, 0, 1]);
    expect(Array.from(data.features[0])).toEqual([10, 20, 30]);
  });

  it('reads JSONL; the model does not depend on row order; fails before training when the output folder is missing', async () => {
    const dir = tempDir();
    const f = writeInputs(dir);
    const { features, labels } = syntheticRiskRows(400, 5);
    const lines = (row: (i: number) => object) => Array.from({ length: 400 }, (_, k) => JSON.stringify(row(399 - k))).join('\n') + '\n';
    // both files reversed against the Parquet ones
    const scoresJsonl = join(dir, 'scores.jsonl');
    writeFileSync(scoresJsonl, lines((i) => ({ id: `row-${i}`, ...Object.fromEntries(FEATURES.map((name, j) => [name, features[j][i]])) })));
    const labelsJsonl = join(dir, 'labels.jsonl');
    writeFileSync(labelsJsonl, lines((i) => ({ id: `row-${i}`, memorized: labels[i] === 1 })));
    const fromParquet = runCli(trainArgs(f));
    const fromJsonl = runCli(trainArgs({ scores: scoresJsonl, labels: labelsJsonl, output: join(dir, 'risk-jsonl.json') }));
    expect(fromJsonl.status).toBe(0);
    const a = await loadRiskModel(f.output);
    const b = await loadRiskModel(join(dir, 'risk-jsonl.json'));
    expect(fromParquet.status).toBe(0);
    expect(b.coefficients).toEqual(a.coefficients);
    expect(b.metrics).toEqual(a.metrics);
    const missing = runCli(trainArgs({ ...f, output: join(dir, 'no-such-folder', 'risk.json') }));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no-such-folder.*does not exist/);
  });
});
