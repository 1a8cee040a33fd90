// Min-K% Prob (Shi et al. 2024) and Min-K%++ (Zhang et al. 2024) reduce per-position values to one per row
// the same way: the mean of the lowest ⌊k·(n−1)⌋ of them. Definitions and signs: docs/features.md.

/** Values averaged for a row of `count` predicted positions: ⌊k·count⌋ in float64 as the reference code, at least 1. */
export function minKCount(minK: number, count: number): number {
  return Math.max(1, Math.floor(minK * count));
}

/** Mean of the lowest ⌊k·n⌋ (at least one) of `values`; NaN for none. Sorts `values` in place. */
export function meanOfLowest(values: Float64Array, minK: number): number {
  if (values.length === 0) return NaN;
  values.sort();
  const count = minKCount(minK, values.length);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += values[i];
  return sum / count;
}
