// The pure pieces behind score's memorization and Min-K columns, on constructed inputs with known answers
// (the memorized/lead rule itself, audit's onePassMeasures, is tested in test/audit).
import { describe, expect, it } from 'vitest';
import { pairScoresFromLogits, positionStats } from '../../src/score/features.js';
import { meanOfLowest, minKCount } from '../../src/score/min-k.js';

describe('position statistics', () => {
  it('sends an exact tie of the top logits to the lowest id', () => {
    expect(positionStats(Float32Array.from([0, 3, 1, 3, 3]), 0, 5).argmax).toBe(1);
  });
  it('gives the variance of log p under p (Min-K%++ σ²)', () => {
    const z = Float32Array.from([0, Math.log(3)]); // p = (1/4, 3/4)
    const logp = [Math.log(0.25), Math.log(0.75)];
    const mu = 0.25 * logp[0] + 0.75 * logp[1];
    const variance = 0.25 * (logp[0] - mu) ** 2 + 0.75 * (logp[1] - mu) ** 2;
    expect(positionStats(z, 0, 2).logitVariance).toBeCloseTo(variance, 7);
  });
});

describe('Min-K mean of the lowest values', () => {
  it('averages ⌊k·n⌋ values, at least one', () => {
    expect(minKCount(0.2, 4)).toBe(1); // ⌊0.8⌋ = 0 → one value, where the reference code gives NaN
    expect(minKCount(0.2, 127)).toBe(25);
    expect(meanOfLowest(Float64Array.from([-1, -5, -2, -4, -3]), 0.4)).toBe(-4.5);
    expect(meanOfLowest(Float64Array.from([-1, -5, -2]), 0.2)).toBe(-5);
    expect(meanOfLowest(new Float64Array(0), 0.2)).toBeNaN();
  });
});

describe('pairScoresFromLogits', () => {
  it('finds a row memorized exactly when its suffix tokens are the argmax, each model from its own logits', () => {
    const vocab = 4;
    const ids = Int32Array.from([0, 1, 2, 3, 0]);
    // suffix ids[2..4) = 2 3, predicted at j = 1, 2; position j puts its largest logit on `peak[j]`
    const logitsOf = (peak: number[]) => Float32Array.from({ length: ids.length * vocab }, (_, i) => (peak[Math.floor(i / vocab)] === i % vocab ? 2 : 0));
    const batch = (peak: number[]) => ({ data: logitsOf(peak), batch: 1, seqLen: ids.length, vocab });
    const options = { temperature: 1, prefixTokens: 2, suffixTokens: 2, minK: 0.5 };
    const scores = pairScoresFromLogits(batch([1, 2, 3, 1, 0]), batch([1, 1, 3, 0, 0]), [ids], options);
    expect([scores.teacher_memorized[0], scores.teacher_lead[0]]).toEqual([1, 2]);
    expect([scores.baseline_memorized[0], scores.baseline_lead[0]]).toEqual([0, 0]);
    // teacher targets ids[1..5) = 1 2 3 0 against peaks 1 2 3 1: log p = high, high, high, low; k = 0.5 → mean of two lowest
    const high = 2 - Math.log(Math.exp(2) + 3);
    const low = -Math.log(Math.exp(2) + 3);
    expect(scores.teacher_mink[0]).toBeCloseTo((low + high) / 2, 6);
  });
});
