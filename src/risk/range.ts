// The range each feature was fitted on, and how much of a new corpus falls outside it: a logistic
// regression far outside its training range extrapolates (a 100,000× larger perplexity gives every
// row a risk near 1), so filter reports the share of rows outside and warns (docs/provenance.md).

/** A feature's range over the labelled training rows, in the feature's own scale (log applied). */
export interface FeatureRange {
  /** labelled rows the range is taken over */
  rows: number;
  min: number;
  max: number;
  /** 0.1% and 99.9% quantiles (linear interpolation, numpy's default): the range drift is measured against */
  quantile_001: number;
  quantile_999: number;
}

/** Quantile q of ascending-sorted values, linear between order statistics (numpy.quantile's default). */
export function sortedQuantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Each feature's range over its values (NaN values, from rows too short to score, left out). */
export function featureRanges(names: string[], features: Float64Array[]): Record<string, FeatureRange> {
  return Object.fromEntries(
    names.map((name, j) => {
      const sorted = features[j].filter((x) => !Number.isNaN(x)).sort();
      const n = sorted.length;
      return [name, { rows: n, min: n ? sorted[0] : NaN, max: n ? sorted[n - 1] : NaN, quantile_001: n ? sortedQuantile(sorted, 0.001) : NaN, quantile_999: n ? sortedQuantile(sorted, 0.999) : NaN }];
    }),
  );
}

/** Whether a value lies outside the range drift is measured against (the 0.1%–99.9% quantiles). */
export function outsideRange(range: FeatureRange, x: number): boolean {
  return x < range.quantile_001 || x > range.quantile_999;
}
