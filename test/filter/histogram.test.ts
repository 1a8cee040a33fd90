// The report's histograms are fixed-bin and exact, so that filter shards add theirs up: checked against
// bins computed here from their definition (docs/filter.md, `distributions`) and against a split of the
// same rows into shards.
import { describe, expect, it } from 'vitest';
import { FineHistogramBuilder, MAX_INTEGER_VALUES, displayHistogram, integerHistogram, logBin, logBinLower, profileDistributions } from '../../src/filter/histogram.js';

/** a deterministic spread of values: heavy right tail, some negatives, exact zeros */
function values(n: number): number[] {
  let s = 12345;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : i % 13 === 0 ? -next() * 3 : Math.exp(4 * next()) - 0.5));
}

describe('fixed log bins', () => {
  it('puts x in [1e-12·1.01^(k−1), 1e-12·1.01^k) for k = logBin(x) > 0, mirrored below zero', () => {
    for (const x of [1e-12, 2.5e-9, 0.3, 1, 1.01, 7.25, 123456.789]) {
      const k = logBin(x);
      expect(k).toBe(1 + Math.floor(Math.log(x / 1e-12) / Math.log(1.01)));
      expect(x).toBeGreaterThanOrEqual(1e-12 * 1.01 ** (k - 1) * (1 - 1e-12));
      expect(x).toBeLessThan(1e-12 * 1.01 ** k * (1 + 1e-12));
      expect(logBin(-x)).toBe(-k);
      expect(logBinLower(k)).toBeCloseTo(1e-12 * 1.01 ** (k - 1), 12);
    }
    expect(logBin(0)).toBe(0);
    expect(logBin(5e-13)).toBe(0);
  });

  it('bins values up to the largest double (x / 1e-12 would overflow), with finite edges', () => {
    for (const x of [1e297, 1e300, Number.MAX_VALUE]) {
      const k = logBin(x);
      expect(Number.isInteger(k)).toBe(true);
      // the same bin as the exact relation log(x) = log(1e-12) + (k - 1 + f) log(1.01), 0 <= f < 1
      const f = (Math.log(x) - Math.log(1e-12)) / Math.log(1.01) - (k - 1);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      expect(logBin(-x)).toBe(-k);
      expect(Number.isFinite(logBinLower(k + 1))).toBe(true);
      expect(Number.isFinite(logBinLower(-k - 1))).toBe(true);
    }
    const fine = new FineHistogramBuilder();
    for (const x of [1e300, 1e300, 1e300, 1, 2, 3]) fine.add(x, x > 10);
    const shown = displayHistogram(fine.result(), 40);
    expect(shown.edges.every(Number.isFinite)).toBe(true);
    expect(shown.kept.reduce((a, b) => a + b) + shown.removed.reduce((a, b) => a + b)).toBe(6);
  });
});

describe('displayHistogram', () => {
  const xs = values(20_000);
  const whole = new FineHistogramBuilder();
  xs.forEach((x, i) => whole.add(x, i % 7 === 0));

  it('counts every row once, clips only rows outside the 0.5%–99.5% bins, and bins in increasing order', () => {
    const h = displayHistogram(whole.result(), 40);
    expect(h.kept.length).toBeLessThanOrEqual(40);
    expect(h.edges).toHaveLength(h.kept.length + 1);
    for (let i = 1; i < h.edges.length; i++) expect(h.edges[i]).toBeGreaterThan(h.edges[i - 1]);
    expect(h.kept.reduce((a, b) => a + b, 0)).toBe(xs.filter((_, i) => i % 7 !== 0).length);
    expect(h.removed.reduce((a, b) => a + b, 0)).toBe(xs.filter((_, i) => i % 7 === 0).length);
    // the 0.5% and 99.5% order statistics lie inside the edges; the rows beyond the edge bins are the clipped ones
    const sorted = [...xs].sort((a, b) => a - b);
    const lo = sorted[Math.ceil(0.005 * xs.length)];
    const hi = sorted[Math.ceil(0.995 * xs.length) - 1];
    expect(h.edges[0]).toBeLessThanOrEqual(lo);
    expect(h.edges[h.edges.length - 1]).toBeGreaterThan(hi);
    const outside = xs.filter((x) => x < h.edges[0] || x >= h.edges[h.edges.length - 1]).length;
    expect(h.clipped).toBe(outside);
  });

  it('is the same from shards added up as from all rows', () => {
    for (const count of [3, 16]) {
      const shards = Array.from({ length: count }, () => new FineHistogramBuilder());
      xs.forEach((x, i) => shards[(i * 7919) % count].add(x, i % 7 === 0));
      const summed = shards.reduce((acc, s) => acc.addAll(s.result()), new FineHistogramBuilder());
      expect(summed.result()).toEqual(whole.result());
      expect(displayHistogram(summed.result(), 40)).toEqual(displayHistogram(whole.result(), 40));
    }
  });
});

describe('integer columns: whole-number bins with the cut on an edge', () => {
  // a lead-like column: integers 0..50, most rows small
  const leads = Array.from({ length: 5000 }, (_, i) => Math.min(50, Math.floor(((i * 7919) % 1000) ** 2 / 20000)));

  it('counts each value exactly, in bins [e, e + width) with 20 an edge, and no bin mixes kept and removed', () => {
    const builder = new FineHistogramBuilder();
    leads.forEach((x) => builder.add(x, x >= 20));
    const fine = builder.result();
    expect(fine.integers!.values).toEqual([...new Set(leads)].sort((a, b) => a - b));
    const h = integerHistogram(fine.integers!, 40, 20);
    expect(h.integer).toBe(true);
    expect(h.edges).toContain(20);
    const width = h.edges[1] - h.edges[0];
    expect(width).toBe(Math.ceil(51 / 40));
    for (let k = 0; k < h.kept.length; k++) {
      const inside = leads.filter((x) => x >= h.edges[k] && x < h.edges[k + 1]);
      expect(h.kept[k] + h.removed[k]).toBe(inside.length);
      expect(h.removed[k]).toBe(inside.filter((x) => x >= 20).length);
      expect(h.kept[k] > 0 && h.removed[k] > 0).toBe(false);
    }
    // profileDistributions chooses these bins for an integer column, the log bins otherwise
    const drawn = profileDistributions({ risk: { edges: [0, 1], kept: [0], removed: [0], clipped: 0 }, features: { lead: fine, ratio: new FineHistogramBuilder().result() } }, { lead: 20 });
    expect(drawn.features.lead).toEqual(h);
  });

  it('a non-integer value or too many distinct integers: log bins; shards add up to the same bins', () => {
    const mixed = new FineHistogramBuilder();
    [1, 2, 2.5].forEach((x) => mixed.add(x, false));
    expect(mixed.result().integers).toBeUndefined();
    const many = new FineHistogramBuilder();
    for (let i = 0; i <= MAX_INTEGER_VALUES; i++) many.add(i, false);
    expect(many.result().integers).toBeUndefined();
    const whole = new FineHistogramBuilder();
    const shards = [new FineHistogramBuilder(), new FineHistogramBuilder(), new FineHistogramBuilder()];
    leads.forEach((x, i) => {
      whole.add(x, x >= 20);
      shards[i % 3].add(x, x >= 20);
    });
    const summed = shards.reduce((acc, s) => acc.addAll(s.result()), new FineHistogramBuilder());
    expect(integerHistogram(summed.result().integers!, 40, 20)).toEqual(integerHistogram(whole.result().integers!, 40, 20));
  });
});
