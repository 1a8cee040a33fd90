// Calibration of predicted probabilities: the reliability curve of scikit-learn's
// calibration_curve(strategy='uniform'), the expected calibration error over its bins, and the Brier
// score (brier_score_loss). Pure: arrays in, numbers out. Tested against scikit-learn.

export interface Reliability {
  /** bins + 1 equal-width edges over [0, 1], as numpy.linspace(0, 1, bins + 1) computes them */
  edges: number[];
  /** rows in each bin; bin k holds (edges[k], edges[k+1]], the first also 0 (numpy.searchsorted, side left) */
  count: number[];
  /** mean predicted probability of each bin (null for an empty bin) */
  mean_predicted: (number | null)[];
  /** share of positive rows in each bin (null for an empty bin) */
  observed: (number | null)[];
}

export interface Calibration {
  bins: number;
  /** Σ_k (n_k / n) · |observed_k − mean_predicted_k| over the non-empty bins */
  ece: number;
  /** mean of (p − y)² */
  brier: number;
  reliability: Reliability;
}

/** numpy.linspace(0, 1, bins + 1): i · (1 / bins), the last edge exactly 1. */
export function uniformEdges(bins: number): number[] {
  const step = 1 / bins;
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? 1 : i * step));
}

/** Calibration of probabilities `p` (each in [0, 1]) against 0/1 `labels`, over `bins` equal-width bins. */
export function calibration(labels: Uint8Array, p: Float64Array, bins: number): Calibration {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`calibration: bins must be a whole number >= 1, got ${bins}`);
  const n = labels.length;
  if (p.length !== n) throw new Error(`calibration: ${p.length} probabilities for ${n} labels`);
  if (n === 0) throw new Error('calibration: no rows');
  const edges = uniformEdges(bins);
  const count = new Float64Array(bins);
  const sumPredicted = new Float64Array(bins);
  const positives = new Float64Array(bins);
  let brier = 0;
  for (let i = 0; i < n; i++) {
    const v = p[i];
    if (!(v >= 0 && v <= 1)) throw new Error(`calibration: probability ${v} outside [0, 1]`);
    const k = binOf(edges, v);
    count[k]++;
    sumPredicted[k] += v;
    positives[k] += labels[i];
    brier += (v - labels[i]) ** 2;
  }
  const meanPredicted: (number | null)[] = [];
  const observed: (number | null)[] = [];
  let ece = 0;
  for (let k = 0; k < bins; k++) {
    if (count[k] === 0) {
      meanPredicted.push(null);
      observed.push(null);
      continue;
    }
    const predicted = sumPredicted[k] / count[k];
    const actual = positives[k] / count[k];
    meanPredicted.push(predicted);
    observed.push(actual);
    ece += (count[k] / n) * Math.abs(actual - predicted);
  }
  return { bins, ece, brier: brier / n, reliability: { edges, count: Array.from(count), mean_predicted: meanPredicted, observed } };
}

/** The first inner edge >= v (numpy.searchsorted(edges[1:-1], v), side left): binary search. */
function binOf(edges: number[], v: number): number {
  let lo = 0;
  let hi = edges.length - 2; // inner edges are edges[1..bins-1]; answer in [0, bins-1]
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid + 1] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
