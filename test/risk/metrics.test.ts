import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  binaryMetrics,
  precisionRecallCurve,
  rocAuc,
  rocCurve,
  thinPrCurve,
  thinRocCurve,
} from '../../src/risk/metrics.js';
import { RISK_SCHEMA, thresholdForRecall, type RiskModel } from '../../src/risk/schema.js';
import { itWithSklearn, normals, sklearn } from './helpers.js';

interface SklearnMetrics {
  sklearn_version: string;
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  roc_all: { fpr: number[]; tpr: number[]; thresholds: number[] };
  roc_auc: number;
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
  average_precision: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
}

/** Scores that separate the classes imperfectly; `decimals` rounds them to force ties. */
function scoredRows(n: number, seed: number, decimals?: number) {
  const z = normals(n, seed);
  const u = normals(n, seed + 1);
  const labels = Uint8Array.from(z, (v) => (v > 0.8 ? 1 : 0));
  const scores = Float64Array.from(z, (v, i) => {
    const s = 1 / (1 + Math.exp(-(v + 0.9 * u[i])));
    return decimals === undefined ? s : Number(s.toFixed(decimals));
  });
  return { labels, scores };
}

function expectClose(actual: number[], expected: number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], digits));
}

const cases: [string, number, number, number | undefined][] = [
  ['distinct scores', 500, 3, undefined],
  ['heavy ties (1 decimal)', 400, 5, 1],
  ['ties (2 decimals)', 2000, 9, 2],
];

describe('metrics agree with scikit-learn', () => {
  for (const [name, n, seed, decimals] of cases) {
    itWithSklearn(name, () => {
      const { labels, scores } = scoredRows(n, seed, decimals);
      if (decimals !== undefined) expect(new Set(scores).size).toBeLessThan(n / 5);
      const ref = sklearn<SklearnMetrics>({ task: 'metrics', y: Array.from(labels), score: Array.from(scores), threshold: 0.5 });

      // Mann–Whitney AUC equals sklearn's trapezoidal area exactly (up to rounding)
      expect(rocAuc(labels, scores)).toBeCloseTo(ref.roc_auc, 13);

      const roc = rocCurve(labels, scores);
      expectClose(roc.fpr, ref.roc.fpr);
      expectClose(roc.tpr, ref.roc.tpr);
      // first threshold: +Infinity here (sklearn >= 1.3); sklearn 1.2 writes max(score) + 1
      expect(roc.thresholds[0]).toBe(Infinity);
      expectClose(roc.thresholds.slice(1), ref.roc.thresholds.slice(1), 15);
      const all = rocCurve(labels, scores, false);
      expectClose(all.fpr, ref.roc_all.fpr);
      expectClose(all.tpr, ref.roc_all.tpr);

      const pr = precisionRecallCurve(labels, scores);
      expectClose(pr.precision, ref.pr.precision);
      expectClose(pr.recall, ref.pr.recall);
      expectClose(pr.thresholds, ref.pr.thresholds, 15);
      expect(averagePrecision(labels, scores)).toBeCloseTo(ref.average_precision, 13);

      const at = binaryMetrics(labels, scores, 0.5);
      expect(at.precision).toBeCloseTo(ref.precision, 14);
      expect(at.recall).toBeCloseTo(ref.recall, 14);
      expect(at.f1).toBeCloseTo(ref.f1, 14);
      expect(at.accuracy).toBeCloseTo(ref.accuracy, 14);
    });
  }

  itWithSklearn('all scores tied: AUC 0.5, two-point ROC', () => {
    const labels = Uint8Array.of(0, 1, 0, 1, 1);
    const scores = new Float64Array(5).fill(0.3);
    const ref = sklearn<SklearnMetrics>({ task: 'metrics', y: Array.from(labels), score: Array.from(scores) });
    expect(rocAuc(labels, scores)).toBe(ref.roc_auc);
    expectClose(rocCurve(labels, scores).tpr, ref.roc.tpr);
    expect(averagePrecision(labels, scores)).toBeCloseTo(ref.average_precision, 14);
    // nothing predicted positive at 0.5: precision 0 by zero_division
    expect(binaryMetrics(labels, scores, 0.5).precision).toBe(ref.precision);
  });

  it('one class only is an error, not NaN', () => {
    expect(() => rocAuc(Uint8Array.of(1, 1), Float64Array.of(0.2, 0.4))).toThrow(/both/);
  });
});

describe('stored curves', () => {
  it('thinning keeps the threshold for each recall target on the 1e-4 grid, and bounds the size', () => {
    const { labels, scores } = scoredRows(60_000, 21);
    const full = rocCurve(labels, scores, false);
    const thin = thinRocCurve(full, 1000);
    expect(full.tpr.length).toBeGreaterThan(2 * 1000 + 2);
    expect(thin.tpr.length).toBeLessThanOrEqual(2 * 1000 + 2);
    const model = (roc: typeof full) => ({ schema: RISK_SCHEMA, roc }) as unknown as RiskModel;
    for (const recall of [0.5, 0.9, 0.95, 0.99, 0.999, 1]) {
      expect(thresholdForRecall(model(thin), recall)).toBe(thresholdForRecall(model(full), recall));
    }
    // off the grid the stored threshold is never higher (recall never lower)
    for (const recall of [0.12345, 0.98765]) {
      expect(thresholdForRecall(model(thin), recall)).toBeLessThanOrEqual(thresholdForRecall(model(full), recall));
    }
    const pr = thinPrCurve(precisionRecallCurve(labels, scores), 1000);
    expect(pr.thresholds.length).toBeLessThanOrEqual(1002);
    expect(pr.precision.length).toBe(pr.thresholds.length + 1);
    expect(pr.recall[pr.recall.length - 1]).toBe(0);
  });

  it('thresholdForRecall returns the highest threshold reaching the recall on the validation set', () => {
    const { labels, scores } = scoredRows(3000, 33);
    const model = { schema: RISK_SCHEMA, roc: rocCurve(labels, scores, false) } as unknown as RiskModel;
    const positives = Array.from(scores).filter((_, i) => labels[i] === 1).sort((a, b) => b - a);
    for (const recall of [0.5, 0.9, 0.99, 1]) {
      // independent: the score of the ceil(recall·P)-th highest-scored positive
      const expected = positives[Math.ceil(recall * positives.length) - 1];
      expect(thresholdForRecall(model, recall)).toBe(expected);
    }
  });
});
