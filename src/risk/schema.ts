// risk.json: the trained risk classifier, versioned. Documented field by field in docs/risk.md.
import { readFile } from 'node:fs/promises';
import { excerpt, UserError } from '../errors.js';
import type { Mismatch, Provenance } from '../stage/provenance.js';
import type { FeatureRange } from './range.js';
import type { RowsFingerprint } from '../filter/scores-identity.js';

export const RISK_SCHEMA = 'memsieve.risk/v1';

/** Mean and population standard deviation (ddof = 0) over the evaluation trials. */
export interface MeanStd {
  mean: number;
  std: number;
}

export interface RiskMetrics {
  roc_auc: MeanStd;
  average_precision: MeanStd;
  precision: MeanStd;
  recall: MeanStd;
  f1: MeanStd;
  accuracy: MeanStd;
  /** standardized coefficient of each feature, by feature name */
  coefficients: Record<string, MeanStd>;
  /**
   * ROC-AUC of each feature alone as the score (larger value = predicted memorized), over the trials'
   * held-out rows pooled; raw, not max(AUC, 1 − AUC): below 0.5 when lower values mean memorized.
   * Absent in models written before it was added.
   */
  feature_roc_auc?: Record<string, number>;
}

/**
 * ROC curve in scikit-learn's roc_curve form: thresholds decrease, fpr/tpr increase. risk.json stores the
 * curve without drop_intermediate (every distinct threshold), thinned to at most ~20,000 points (see thinRocCurve).
 */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** thresholds[0] is +Infinity (no row predicted positive); stored as null in the JSON file */
  thresholds: number[];
}

/** Precision-recall curve in scikit-learn's precision_recall_curve form: recall decreases, last point (recall 0, precision 1) has no threshold. */
export interface PrCurve {
  precision: number[];
  recall: number[];
  thresholds: number[];
}

export interface InputFile {
  path: string;
  sha256: string;
  rows: number;
  /** scores: the rows' fingerprint over the id and feature columns, so the same rows in another layout are known (filter/scores-identity.ts) */
  rows_fingerprint?: RowsFingerprint;
}

export interface RiskProvenance {
  tool: 'memsieve';
  tool_version: string;
  /** ISO 8601 time the model was written */
  created: string;
  inputs: { scores: InputFile; labels: InputFile };
  id_column: string;
  label_column: string;
  /** rows after joining scores and labels by id, without the unlabelled ones */
  joined_rows: number;
  /** joined rows with a null label (unaudited, e.g. too short for the audit): not used for training */
  unlabelled_rows?: number;
  positives: number;
  negatives: number;
  seed: number;
  trials: number;
  negatives_per_positive: number;
  test_fraction: number;
  /** rows the final model was fitted on: all positives and the sampled negatives */
  final_sample: { positives: number; negatives: number };
  solver: { method: 'newton'; penalty: 'l2'; C: number; iterations: number };
  /**
   * how the training scores were made (their file's provenance; docs/provenance.md): filter, evaluate
   * and threshold compare the scores they are given with it. null: the scores recorded none.
   * Absent in models written before it was added.
   */
  scoring?: Provenance | null;
  /** how the labels were made: the audit's record (score's, for labels from its teacher_memorized / baseline_memorized); null: none */
  labels_audit?: Provenance | null;
  /** fields scores and labels differ in, trained on anyway because --allow-mismatch named them */
  allowed_mismatches?: Mismatch[];
}

export interface RiskModel {
  schema: typeof RISK_SCHEMA;
  /** feature names in coefficient order: a score column, or log(column) (src/risk/feature.ts) */
  features: string[];
  /** standardization fitted on the final sample: x_std = (x - mean) / std, std with ddof = 0 */
  scaler: { mean: number[]; std: number[] };
  /** coefficients on standardized features, one per feature */
  coefficients: number[];
  intercept: number;
  /** rows with risk >= threshold are flagged */
  threshold: number;
  metrics: RiskMetrics;
  /** validation ROC curve pooled over the trials' test sets; filter --target-recall reads thresholds from it */
  roc: RocCurve;
  /** validation precision-recall curve pooled over the trials' test sets */
  pr: PrCurve;
  provenance: RiskProvenance;
  /** each feature's range over the labelled training rows (src/risk/range.ts); absent in older models */
  feature_ranges?: Record<string, FeatureRange>;
}

/** JSON text of a model; +Infinity thresholds are written as null (JSON has no infinity). */
export function serializeRiskModel(model: RiskModel): string {
  // the API's warnings are about this run, not part of the model (its provenance records what they say)
  const { warnings: _warnings, ...fields } = model as RiskModel & { warnings?: unknown };
  return JSON.stringify(fields, (_key, value) => (value === Infinity ? null : value), 2) + '\n';
}

/** Parses and checks risk.json text; `source` names the file in errors. */
export function parseRiskModel(text: string, source: string): RiskModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${source}: not a JSON file (${(error as Error).message}); pass the risk.json written by 'memsieve train'`);
  }
  const bad = (what: string): never => {
    throw new UserError(`${source}: invalid risk model: ${what}; re-create it with 'memsieve train'`);
  };
  if (typeof raw !== 'object' || raw === null) bad('not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m.schema !== RISK_SCHEMA) {
    throw new UserError(
      `${source}: risk model schema is ${JSON.stringify(m.schema ?? null)}, this memsieve reads "${RISK_SCHEMA}"; ` +
        `re-create it with 'memsieve train' of this version`,
    );
  }
  const isNumbers = (v: unknown, n?: number): v is number[] =>
    Array.isArray(v) && (n === undefined || v.length === n) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  const features = m.features;
  if (!Array.isArray(features) || features.length === 0 || !features.every((f) => typeof f === 'string')) bad('"features" must be a non-empty list of names');
  const d = (features as string[]).length;
  const scaler = m.scaler as { mean?: unknown; std?: unknown } | undefined;
  if (!scaler || !isNumbers(scaler.mean, d) || !isNumbers(scaler.std, d)) bad(`"scaler.mean" and "scaler.std" must hold ${d} finite numbers`);
  if ((scaler!.std as number[]).some((s) => s <= 0)) bad('"scaler.std" must be positive');
  if (!isNumbers(m.coefficients, d)) bad(`"coefficients" must hold ${d} finite numbers`);
  if (typeof m.intercept !== 'number' || !Number.isFinite(m.intercept)) bad('"intercept" must be a finite number');
  if (typeof m.threshold !== 'number' || !(m.threshold >= 0 && m.threshold <= 1)) bad('"threshold" must be a number in [0, 1]');
  const roc = m.roc as { fpr?: unknown; tpr?: unknown; thresholds?: unknown } | undefined;
  if (!roc || !Array.isArray(roc.thresholds)) bad('"roc" must hold fpr, tpr and thresholds');
  const thresholds = (roc!.thresholds as unknown[]).map((t) => (t === null ? Infinity : t));
  const n = thresholds.length;
  if (n < 2 || !isNumbers(roc!.fpr, n) || !isNumbers(roc!.tpr, n) || !thresholds.every((t) => typeof t === 'number' && !Number.isNaN(t))) {
    bad('"roc.fpr", "roc.tpr" and "roc.thresholds" must be number lists of one length (at least 2)');
  }
  for (let i = 1; i < n; i++) {
    if ((thresholds[i] as number) > (thresholds[i - 1] as number) || (roc!.tpr as number[])[i] < (roc!.tpr as number[])[i - 1]) {
      bad('"roc" must have decreasing thresholds and increasing tpr');
    }
  }
  checkMetrics(m.metrics, features as string[], bad);
  if (typeof m.provenance !== 'object' || m.provenance === null) bad('"provenance" missing');
  return { ...(m as unknown as RiskModel), roc: { ...(roc as unknown as RocCurve), thresholds: thresholds as number[] } };
}

const MEAN_STD_METRICS = ['roc_auc', 'average_precision', 'precision', 'recall', 'f1', 'accuracy'] as const;

/** metrics as train writes them: reports print every one of these, so each must be there and a number. */
function checkMetrics(raw: unknown, features: string[], bad: (what: string) => never): void {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('"metrics" missing');
  const metrics = raw as Record<string, unknown>;
  const isMeanStd = (v: unknown) => {
    const { mean, std } = (v ?? {}) as Record<string, unknown>;
    return typeof v === 'object' && v !== null && typeof mean === 'number' && Number.isFinite(mean) && typeof std === 'number' && Number.isFinite(std);
  };
  for (const name of MEAN_STD_METRICS) {
    if (!Object.hasOwn(metrics, name) || !isMeanStd(metrics[name])) bad(`"metrics.${name}" must be {"mean": number, "std": number}`);
  }
  const coefficients = metrics.coefficients as Record<string, unknown> | undefined;
  if (typeof coefficients !== 'object' || coefficients === null) bad('"metrics.coefficients" must map each feature to {"mean", "std"}');
  const wrong = features.find((f) => !Object.hasOwn(coefficients!, f) || !isMeanStd(coefficients![f]));
  if (wrong !== undefined) bad(`"metrics.coefficients.${excerpt(wrong, 80)}" must be {"mean": number, "std": number}`);
  const perFeature = metrics.feature_roc_auc as Record<string, unknown> | undefined;
  if (perFeature !== undefined && (typeof perFeature !== 'object' || perFeature === null || Object.values(perFeature).some((v) => typeof v !== 'number'))) {
    bad('"metrics.feature_roc_auc" must map features to numbers');
  }
}

/** Reads risk.json; rejects other schema versions and malformed files with a UserError naming the file. */
export async function loadRiskModel(path: string): Promise<RiskModel> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read risk model ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseRiskModel(text, path);
}

/**
 * Probability of memorization for each row: sigmoid(intercept + Σ coef_j (x_j − mean_j) / std_j).
 * `features` holds one array per model feature, unstandardized, in `model.features` order: the feature's
 * value, i.e. log(column) for a log feature (featureValues makes them from a table's columns).
 * A NaN feature gives a NaN risk; callers name the row.
 */
export function predictRisk(model: RiskModel, features: Float64Array[]): Float64Array {
  const d = model.features.length;
  if (features.length !== d) {
    throw new Error(`predictRisk: expected ${d} feature arrays (${model.features.join(', ')}), got ${features.length}`);
  }
  const n = d === 0 ? 0 : features[0].length;
  for (let j = 0; j < d; j++) {
    if (features[j].length !== n) throw new Error(`predictRisk: feature ${model.features[j]} has ${features[j].length} values, expected ${n}`);
  }
  const z = new Float64Array(n).fill(model.intercept);
  for (let j = 0; j < d; j++) {
    // the term of logOddsTerms, column by column
    const w = model.coefficients[j] / model.scaler.std[j];
    const mu = model.scaler.mean[j];
    const x = features[j];
    for (let i = 0; i < n; i++) z[i] += w * (x[i] - mu);
  }
  for (let i = 0; i < n; i++) z[i] = sigmoid(z[i]);
  return z;
}

/** Each feature's term of the log-odds for one row of (unstandardized) feature values: (coef_j / std_j) · (x_j − mean_j), as predictRisk adds them. */
export function logOddsTerms(model: RiskModel, x: ArrayLike<number>): number[] {
  return model.features.map((_, j) => (model.coefficients[j] / model.scaler.std[j]) * (x[j] - model.scaler.mean[j]));
}

/** Logistic function, without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * The highest threshold whose validation recall (pooled ROC tpr) is at least `recall`: flagging
 * rows with risk >= that threshold caught that share of held-out memorized rows, with the fewest
 * rows flagged. Exact for targets on the 1e-4 grid (0.99, 0.995, ...) even on a thinned curve.
 */
export function thresholdForRecall(model: RiskModel, recall: number): number {
  if (!(recall > 0 && recall <= 1)) throw new UserError(`target recall must be in (0, 1], got ${recall}`);
  const { tpr, thresholds } = model.roc;
  for (let i = 0; i < tpr.length; i++) {
    // small slack: tpr is a ratio of counts, 0.99 must match 99/100 despite rounding
    if (tpr[i] >= recall - 1e-12 && Number.isFinite(thresholds[i])) return thresholds[i];
  }
  return thresholds[thresholds.length - 1];
}
