// Classifier metrics as scikit-learn defines them (roc_curve, roc_auc_score, precision_recall_curve,
// average_precision_score, precision/recall/f1/accuracy). Hand-written: no maintained npm package
// computes ROC-AUC with exact tie handling or scikit-learn's curves. Tested against scikit-learn.
// Convention everywhere: a row is predicted positive when score >= threshold.
import type { PrCurve, RocCurve } from './schema.js';

/** Counts at each distinct score, highest first (scikit-learn's _binary_clf_curve). */
interface ThresholdCounts {
  /** false positives among rows with score >= thresholds[k] */
  fps: Float64Array;
  tps: Float64Array;
  thresholds: Float64Array;
}

function countAtThresholds(labels: Uint8Array, scores: Float64Array): ThresholdCounts {
  const n = labels.length;
  if (scores.length !== n) throw new Error(`metrics: ${scores.length} scores for ${n} labels`);
  // sort each class's scores natively (fast for millions of pooled test rows), then merge from the top
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new Error('metrics: NaN score');
    positives += labels[i] ? 1 : 0;
  }
  const pos = new Float64Array(positives);
  const neg = new Float64Array(n - positives);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (labels[i]) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  pos.sort();
  neg.sort();
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let a = pos.length - 1;
  let b = neg.length - 1;
  while (a >= 0 || b >= 0) {
    const threshold = Math.max(a >= 0 ? pos[a] : -Infinity, b >= 0 ? neg[b] : -Infinity);
    while (a >= 0 && pos[a] === threshold) a--;
    while (b >= 0 && neg[b] === threshold) b--;
    tps.push(pos.length - 1 - a);
    fps.push(neg.length - 1 - b);
    thresholds.push(threshold);
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(thresholds) };
}

function checkBothClasses(counts: ThresholdCounts, what: string): void {
  const last = counts.tps.length - 1;
  if (last < 0 || counts.tps[last] === 0 || counts.fps[last] === 0) {
    throw new Error(`${what} needs both positive and negative rows`);
  }
}

/**
 * ROC curve as scikit-learn's roc_curve. With dropIntermediate (its default) points in the middle of a
 * straight horizontal or vertical run are dropped: the plotted curve and its area stay the same, but
 * thresholds inside a vertical run (needed for an exact recall target) go. A first point (0, 0) is
 * added with threshold +Infinity (scikit-learn ≥ 1.3; older versions used max(score) + 1).
 */
export function rocCurve(labels: Uint8Array, scores: Float64Array, dropIntermediate = true): RocCurve {
  const counts = countAtThresholds(labels, scores);
  checkBothClasses(counts, 'ROC curve');
  const { fps, tps, thresholds } = counts;
  const last = fps.length - 1;
  const negatives = fps[last];
  const positives = tps[last];
  const fpr = [0];
  const tpr = [0];
  const kept = [Infinity];
  for (let k = 0; k <= last; k++) {
    const straight = dropIntermediate && last >= 2 && k > 0 && k < last && fps[k - 1] - 2 * fps[k] + fps[k + 1] === 0 && tps[k - 1] - 2 * tps[k] + tps[k + 1] === 0;
    if (straight) continue;
    fpr.push(fps[k] / negatives);
    tpr.push(tps[k] / positives);
    kept.push(thresholds[k]);
  }
  return { fpr, tpr, thresholds: kept };
}

/**
 * Area under the ROC curve, exactly as the Mann–Whitney U statistic: the share of (positive, negative)
 * pairs ranked correctly, a tied pair counting one half. Equals roc_auc_score.
 */
export function rocAuc(labels: Uint8Array, scores: Float64Array): number {
  const counts = countAtThresholds(labels, scores);
  checkBothClasses(counts, 'ROC-AUC');
  // walk tie groups from the lowest score up: positives in a group beat every negative below it, tie with the group's negatives
  let pairs = 0;
  let negativesBelow = 0;
  for (let k = counts.fps.length - 1; k >= 0; k--) {
    const groupPositives = counts.tps[k] - (k > 0 ? counts.tps[k - 1] : 0);
    const groupNegatives = counts.fps[k] - (k > 0 ? counts.fps[k - 1] : 0);
    pairs += groupPositives * (negativesBelow + groupNegatives / 2);
    negativesBelow += groupNegatives;
  }
  const last = counts.fps.length - 1;
  return pairs / (counts.tps[last] * counts.fps[last]);
}

/**
 * Precision-recall curve as scikit-learn's precision_recall_curve: thresholds increase, precision and
 * recall run from the lowest threshold; a final point (recall 0, precision 1) has no threshold.
 */
export function precisionRecallCurve(labels: Uint8Array, scores: Float64Array): PrCurve {
  const counts = countAtThresholds(labels, scores);
  const k = counts.tps.length;
  const positives = counts.tps[k - 1];
  if (!(positives > 0)) throw new Error('precision-recall curve needs positive rows');
  const precision: number[] = [];
  const recall: number[] = [];
  const thresholds: number[] = [];
  for (let i = k - 1; i >= 0; i--) {
    precision.push(counts.tps[i] / (counts.tps[i] + counts.fps[i]));
    recall.push(counts.tps[i] / positives);
    thresholds.push(counts.thresholds[i]);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds };
}

/** Average precision, Σ_k (R_k − R_{k−1}) P_k over the distinct thresholds: average_precision_score. */
export function averagePrecision(labels: Uint8Array, scores: Float64Array): number {
  const counts = countAtThresholds(labels, scores);
  const k = counts.tps.length;
  const positives = counts.tps[k - 1];
  if (!(positives > 0)) throw new Error('average precision needs positive rows');
  let ap = 0;
  let previousRecall = 0;
  for (let i = 0; i < k; i++) {
    const recall = counts.tps[i] / positives;
    ap += (recall - previousRecall) * (counts.tps[i] / (counts.tps[i] + counts.fps[i]));
    previousRecall = recall;
  }
  return ap;
}

export interface BinaryMetrics {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
}

/** Metrics of predicting positive when score >= threshold; a ratio with a zero denominator is 0 (zero_division=0). */
export function binaryMetrics(labels: Uint8Array, scores: Float64Array, threshold: number): BinaryMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold;
    if (labels[i]) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) fp++;
    else tn++;
  }
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  return {
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    accuracy: ratio(tp + tn, labels.length),
  };
}

/**
 * A stored ROC curve of at most about 2·bins + 2 points: keeps, in threshold order, the first point to
 * enter each new 1/bins step of tpr or fpr, so the threshold for any recall target on that grid
 * (0.99, 0.995, ...) is kept exactly, and between grid points the kept one is conservative (higher recall).
 */
export function thinRocCurve(curve: RocCurve, bins = 10_000): RocCurve {
  const n = curve.tpr.length;
  if (n <= 2 * bins + 2) return curve;
  const bin = (v: number): number => Math.floor(v * bins + 1e-9);
  const keep: number[] = [0];
  for (let i = 1; i < n; i++) {
    const last = keep[keep.length - 1];
    if (i === n - 1 || bin(curve.tpr[i]) !== bin(curve.tpr[last]) || bin(curve.fpr[i]) !== bin(curve.fpr[last])) keep.push(i);
  }
  return { fpr: keep.map((i) => curve.fpr[i]), tpr: keep.map((i) => curve.tpr[i]), thresholds: keep.map((i) => curve.thresholds[i]) };
}

/** A stored precision-recall curve of at most about bins + 2 points: the highest-threshold point of each 1/bins step of recall. */
export function thinPrCurve(curve: PrCurve, bins = 10_000): PrCurve {
  const n = curve.thresholds.length;
  if (n <= bins + 2) return curve;
  const bin = (v: number): number => Math.floor(v * bins + 1e-9);
  // walk from the highest threshold (end of the arrays) down
  const keep: number[] = [];
  for (let i = n - 1; i >= 0; i--) {
    if (i === n - 1 || i === 0 || bin(curve.recall[i]) !== bin(curve.recall[keep[keep.length - 1]])) keep.push(i);
  }
  keep.reverse();
  return {
    precision: [...keep.map((i) => curve.precision[i]), 1],
    recall: [...keep.map((i) => curve.recall[i]), 0],
    thresholds: keep.map((i) => curve.thresholds[i]),
  };
}
