// memsieve evaluate against scikit-learn: a model trained on one synthetic corpus, measured on another
// it never saw. The reference applies risk.json with numpy and measures with roc_auc_score,
// average_precision_score, brier_score_loss and calibration_curve (test/evaluate/sklearn_evaluate.py).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { calibration } from '../../src/evaluate/calibration.js';
import type { Evaluation } from '../../src/evaluate/schema.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';
import { itWithSklearn, normals, syntheticRiskRows } from '../risk/helpers.js';
import { PYTHON } from '../helpers/system.js';

const FEATURES = ['teacher_ppl', 'baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy'];
const script = fileURLToPath(new URL('./sklearn_evaluate.py', import.meta.url));

interface Reference {
  p: number[];
  roc_auc: number;
  average_precision: number;
  brier: number;
  prob_true: number[];
  prob_pred: number[];
  counts: number[];
  ece: number;
  recall: number;
  precision: number;
  removed: number;
}

function reference(task: Record<string, unknown>): Reference {
  const result = spawnSync(PYTHON, [script], { input: JSON.stringify(task), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`sklearn_evaluate.py failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout) as Reference;
}

interface Corpus {
  scores: string;
  labels: string;
  features: Float64Array[];
  y: Uint8Array;
}

/** A synthetic scored and labelled corpus (ids doc-<seed>-<i>) written as Parquet. */
function writeCorpus(dir: string, n: number, seed: number, labelRows?: (ids: string[], y: Uint8Array) => { ids: unknown[]; labels: unknown[] }): Corpus {
  const { features, labels: y } = syntheticRiskRows(n, seed);
  const ids = Array.from({ length: n }, (_, i) => `doc-${seed}-${i}`);
  const scores = join(dir, `scores-${seed}.parquet`);
  parquetWriteFile({
    filename: scores,
    columnData: [{ name: 'id', data: ids, type: 'STRING' }, ...FEATURES.map((name, j) => ({ name, data: Array.from(features[j]), type: 'DOUBLE' as const }))],
  });
  const l = labelRows ? labelRows(ids, y) : { ids, labels: Array.from(y, (v) => v === 1) };
  const labels = join(dir, `labels-${seed}-${l.ids.length}.parquet`);
  parquetWriteFile({ filename: labels, columnData: [{ name: 'id', data: l.ids as string[], type: 'STRING' }, { name: 'memorized', data: l.labels as boolean[], type: 'BOOLEAN' }] });
  return { scores, labels, features, y };
}

const rowsOf = (features: Float64Array[]) => Array.from({ length: features[0].length }, (_, i) => features.map((c) => c[i]));

let dir: string;
let trainedOn: Corpus;
let heldOut: Corpus;
let model: string;
beforeAll(() => {
  dir = tempDir('memsieve-evaluate-');
  trainedOn = writeCorpus(dir, 3000, 7);
  heldOut = writeCorpus(dir, 4000, 101);
  model = join(dir, 'risk.json');
  const trained = runCli(['train', '--scores', trainedOn.scores, '--labels', trainedOn.labels, '--trials', '5', '--output', model]);
  expect(trained.status, trained.stderr).toBe(0);
});

function evaluate(extra: string[], corpus: Corpus = heldOut) {
  const out = tempDir('memsieve-evaluate-out-');
  const output = join(out, 'eval.json');
  const result = runCli(['evaluate', '--model', model, '--scores', corpus.scores, '--labels', corpus.labels, '--output', output, ...extra]);
  return { ...result, out, output, evaluation: existsSync(output) ? (JSON.parse(readFileSync(output, 'utf8')) as Evaluation) : null };
}

describe('memsieve evaluate equals scikit-learn on the same predictions', () => {
  for (const [name, extra, bins] of [
    ['default threshold, 10 bins', [], 10],
    ['--remove-top 7%, 7 bins', ['--remove-top', '7%', '--bins', '7'], 7],
    ['--target-recall 0.9, 15 bins', ['--target-recall', '0.9', '--bins', '15'], 15],
  ] as [string, string[], number][]) {
    itWithSklearn(name, () => {
      const result = evaluate(extra);
      expect(result.status, result.stderr).toBe(0);
      const e = result.evaluation!;
      const ref = reference({ model, x: rowsOf(heldOut.features), y: Array.from(heldOut.y), threshold: e.threshold.value, bins });
      const positives = heldOut.y.reduce((s, v) => s + v, 0);
      expect(e.rows).toEqual({ joined: 4000, unlabelled: 0, positives, negatives: 4000 - positives });
      expect(e.roc_auc).toBeCloseTo(ref.roc_auc, 12);
      expect(e.average_precision).toBeCloseTo(ref.average_precision, 12);
      expect(e.calibration.brier).toBeCloseTo(ref.brier, 12);
      expect(e.calibration.bins).toBe(bins);
      expect(e.calibration.reliability.count).toEqual(ref.counts);
      expect(e.calibration.reliability.observed.filter((v) => v !== null)).toHaveLength(ref.prob_true.length);
      e.calibration.reliability.observed.filter((v) => v !== null).forEach((v, k) => expect(v).toBeCloseTo(ref.prob_true[k], 12));
      e.calibration.reliability.mean_predicted.filter((v) => v !== null).forEach((v, k) => expect(v).toBeCloseTo(ref.prob_pred[k], 12));
      expect(e.calibration.ece).toBeCloseTo(ref.ece, 12);
      expect(e.at_threshold.recall).toBeCloseTo(ref.recall, 14);
      expect(e.at_threshold.precision).toBeCloseTo(ref.precision, 14);
      expect(e.at_threshold.removed).toBe(ref.removed);
      expect(e.at_threshold.removed_fraction).toBe(ref.removed / 4000);
      // held out: trained on other scores, and the file says which
      expect(e.trained_on_these_scores).toBe(false);
      expect(e.model.trained_on.scores.path).toBe(trainedOn.scores);
      expect(result.stdout).toContain(`ROC-AUC ${ref.roc_auc.toFixed(4)}`);
      expect(result.stdout).toContain(`ECE ${ref.ece.toFixed(4)} (${bins} equal-width bins)`);
      expect(result.stdout).toContain(`removes ${ref.removed} rows`);
    });
  }

  it('--remove-top removes ceil(share · n) rows, as filter does', () => {
    const e = evaluate(['--remove-top', '0.05']).evaluation!;
    expect(e.threshold.method).toBe('remove_top');
    expect(e.at_threshold.removed).toBe(200);
  });

  it('says when the rows are the ones the model was trained on', () => {
    const result = evaluate([], trainedOn);
    expect(result.status, result.stderr).toBe(0);
    expect(result.evaluation!.trained_on_these_scores).toBe(true);
    expect(result.stdout).toContain('not held out');
  });

  it('--figure draws the reliability diagram, one dot per non-empty bin; --report writes report.html with it', () => {
    const dir = tempDir('memsieve-evaluate-report-');
    const report = join(dir, 'report');
    const result = evaluate(['--figure', join(dir, 'reliability.svg'), '--report', report]);
    expect(result.status, result.stderr).toBe(0);
    const svg = readFileSync(join(dir, 'reliability.svg'), 'utf8');
    const e = result.evaluation!;
    const nonEmpty = e.calibration.reliability.count.filter((c) => c > 0).length;
    expect(nonEmpty).toBeGreaterThan(3);
    expect(svg.match(/<circle [^>]*class="bin"/g)).toHaveLength(nonEmpty);
    const html = readFileSync(join(report, 'report.html'), 'utf8');
    expect(html).toContain(svg.trim());
    expect(html).toContain(`ROC-AUC / average precision</th><td>${e.roc_auc.toFixed(4)} / ${e.average_precision.toFixed(4)}`);
    expect(html).toContain('held out: the model was trained on other scores');
    // the recall says what it was measured on (issue 19): these labelled rows, not the training split
    expect(html).toContain(`recall at threshold, evaluated</th><td>${e.at_threshold.recall.toFixed(4)} (`);
  });
});

describe('calibration equals calibration_curve where probabilities fall on bin edges', () => {
  itWithSklearn('ties on edges go to the lower bin, as numpy.searchsorted does', () => {
    const z = normals(600, 5);
    const p = Float64Array.from(z, (v) => Number((1 / (1 + Math.exp(-v))).toFixed(1)));
    const y = Uint8Array.from(z, (v, i) => (v + normals(600, 6)[i] > 0.5 ? 1 : 0));
    for (const bins of [5, 10, 3]) {
      const c = calibration(y, p, bins);
      const ref = reference({ model: join(dir, 'risk.json'), x: [[0, 0, 0, 0]], y: Array.from(y), p: Array.from(p), threshold: 0.5, bins });
      expect(c.reliability.count).toEqual(ref.counts);
      c.reliability.observed.filter((v) => v !== null).forEach((v, k) => expect(v).toBeCloseTo(ref.prob_true[k], 14));
      expect(c.ece).toBeCloseTo(ref.ece, 14);
      expect(c.brier).toBeCloseTo(ref.brier, 14);
    }
  });
});

describe('memsieve evaluate rejects bad input as train does', () => {
  function expectRejected(result: ReturnType<typeof evaluate>, ...fragments: string[]) {
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^memsieve: error: /);
    for (const f of fragments) expect(result.stderr).toContain(f);
    expect(readdirSync(result.out)).toEqual([]);
  }

  it('ids that do not join', () => {
    const other = writeCorpus(dir, 300, 202, (ids, y) => ({ ids: [...ids.slice(1), 'row-9999'], labels: [...Array.from(y.subarray(1), (v) => v === 1), false] }));
    expectRejected(evaluate([], other), 'hold different ids', '1 scored ids have no label (first: "doc-202-0")', '1 labelled ids have no scores (first: "row-9999")');
  });

  it('a duplicated id', () => {
    const other = writeCorpus(dir, 300, 203, (ids, y) => ({ ids: [...ids, ids[5]], labels: [...Array.from(y, (v) => v === 1), true] }));
    expectRejected(evaluate([], other), 'id "doc-203-5" occurs twice');
  });

  it('a label that is not boolean, 0/1 or null', () => {
    const other = writeCorpus(dir, 300, 204);
    const labels = join(dir, 'bad-labels.parquet');
    parquetWriteFile({ filename: labels, columnData: [{ name: 'id', data: Array.from({ length: 300 }, (_, i) => `doc-204-${i}`), type: 'STRING' }, { name: 'memorized', data: Array.from({ length: 300 }, (_, i) => (i === 3 ? 2 : i % 2)), type: 'INT32' }] });
    expectRejected(evaluate([], { ...other, labels }), 'row id "doc-204-3" has memorized = "2"; labels must be true/false, 1/0 or null');
  });

  it('two threshold options, and a bad --bins', () => {
    expectRejected(evaluate(['--threshold', '0.5', '--remove-top', '5%']), 'give at most one of --threshold, --remove-top and --target-recall');
    const bins = evaluate(['--bins', '0']);
    expect(bins.status).toBe(2);
    expect(bins.stderr).toContain('--bins');
  });
});
