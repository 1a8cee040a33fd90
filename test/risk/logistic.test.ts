import { describe, expect, it } from 'vitest';
import { fitLogistic, predictLogistic, standardize } from '../../src/risk/logistic.js';
import { predictRisk, RISK_SCHEMA, type RiskModel } from '../../src/risk/schema.js';
import { UserError } from '../../src/errors.js';
import { itWithSklearn, rowsOf, sklearn, syntheticRiskRows } from './helpers.js';

interface SklearnFit {
  mean: number[];
  scale: number[];
  coef: number[];
  intercept: number;
  proba: number[];
  proba_new: number[];
}

function relativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

describe('fitLogistic agrees with scikit-learn LogisticRegression(C=1, l2) on standardized features', () => {
  for (const [n, seed, C] of [
    [400, 1, 1],
    [3000, 7, 1],
    [500, 11, 0.05],
  ] as const) {
    itWithSklearn(`n=${n} seed=${seed} C=${C}`, () => {
      const { features, labels } = syntheticRiskRows(n, seed);
      const fresh = syntheticRiskRows(50, seed + 100);
      const scaled = standardize(features, ['a', 'b', 'c', 'd']);
      const fit = fitLogistic(scaled.columns, labels, { C });
      const ref = sklearn<SklearnFit>({ task: 'fit', x: rowsOf(features), y: Array.from(labels), C, x_new: rowsOf(fresh.features) });

      for (let j = 0; j < 4; j++) {
        expect(relativeError(scaled.mean[j], ref.mean[j])).toBeLessThan(1e-12);
        expect(relativeError(scaled.std[j], ref.scale[j])).toBeLessThan(1e-12);
        expect(relativeError(fit.coefficients[j], ref.coef[j])).toBeLessThan(1e-3);
      }
      expect(relativeError(fit.intercept, ref.intercept)).toBeLessThan(1e-3);
      const p = predictLogistic(fit, scaled.columns);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(p[i] - ref.proba[i]));
      expect(worst).toBeLessThan(1e-4);

      // the same numbers through the risk.json path: raw features in, scaler applied inside
      const model = {
        schema: RISK_SCHEMA,
        features: ['a', 'b', 'c', 'd'],
        scaler: { mean: Array.from(scaled.mean), std: Array.from(scaled.std) },
        coefficients: Array.from(fit.coefficients),
        intercept: fit.intercept,
      } as unknown as RiskModel;
      const risk = predictRisk(model, fresh.features);
      for (let i = 0; i < 50; i++) expect(Math.abs(risk[i] - ref.proba_new[i])).toBeLessThan(1e-4);
      expect(fit.iterations).toBeLessThan(20);
    });
  }

  itWithSklearn('converges on separable data (the L2 penalty bounds the coefficients)', () => {
    const x = Float64Array.from({ length: 200 }, (_, i) => i);
    const y = Uint8Array.from({ length: 200 }, (_, i) => (i >= 100 ? 1 : 0));
    const scaled = standardize([x], ['x']);
    const fit = fitLogistic(scaled.columns, y);
    const ref = sklearn<SklearnFit>({ task: 'fit', x: Array.from(x, (v) => [v]), y: Array.from(y) });
    expect(relativeError(fit.coefficients[0], ref.coef[0])).toBeLessThan(1e-3);
    expect(Math.abs(fit.intercept - ref.intercept)).toBeLessThan(1e-3);
  });
});

describe('fitLogistic on hard but valid data', () => {
  itWithSklearn('perfectly collinear features: the L2 penalty splits the weight, as scikit-learn does', () => {
    const { features, labels } = syntheticRiskRows(600, 13);
    const x = [features[0], features[0].map((v) => 2 * v + 1), features[2]];
    const scaled = standardize(x, ['a', 'a2', 'c']);
    const fit = fitLogistic(scaled.columns, labels);
    const ref = sklearn<SklearnFit>({ task: 'fit', x: rowsOf(x), y: Array.from(labels) });
    for (let j = 0; j < 3; j++) expect(relativeError(fit.coefficients[j], ref.coef[j])).toBeLessThan(1e-3);
    expect(fit.coefficients[0]).toBeCloseTo(fit.coefficients[1], 6);
  });
});

describe('fitLogistic rejects degenerate data', () => {
  it('stops at the iteration cap with an error, never a silent half-fit', () => {
    const { features, labels } = syntheticRiskRows(300, 3);
    const scaled = standardize(features, ['a', 'b', 'c', 'd']);
    expect(() => fitLogistic(scaled.columns, labels, { maxIterations: 2 })).toThrow(/did not converge in 2 Newton iterations/);
  });
  it('one class only', () => {
    expect(() => fitLogistic([Float64Array.of(1, 2, 3)], Uint8Array.of(1, 1, 1))).toThrow(/both classes/);
  });
  it('a constant feature cannot be standardized', () => {
    expect(() => standardize([Float64Array.of(1, 2, 3), Float64Array.of(5, 5, 5)], ['kl_teacher_baseline', 'zlib_entropy'])).toThrow(
      UserError,
    );
    expect(() => standardize([Float64Array.of(5, 5, 5)], ['zlib_entropy'])).toThrow(/zlib_entropy is constant/);
  });
  it('NaN features', () => {
    expect(() => fitLogistic([Float64Array.of(1, NaN, 3, 4)], Uint8Array.of(0, 1, 0, 1))).toThrow(/NaN/);
  });
});
