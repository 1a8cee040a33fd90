// Trains the risk classifier with the evaluation protocol of Borkar et al. (2026) §4: each trial samples
// all memorized rows and r× as many others, holds out a stratified test fraction, fits on the rest and
// scores the held-out rows; the final model is fitted on one such sample without a hold-out.
import { listFew, UserError } from '../errors.js';
import { VERSION } from '../version.js';
import { fitLogistic, predictLogistic, standardize } from './logistic.js';
import {
  averagePrecision,
  binaryMetrics,
  precisionRecallCurve,
  rocAuc,
  rocCurve,
  thinPrCurve,
  thinRocCurve,
} from './metrics.js';
import { createRng, sampleWithoutReplacement, shuffle, type Rng } from './random.js';
import { sha256File, writeFileAtomic } from '../io/index.js';
import { readColumns } from './read.js';
import { featureRanges } from './range.js';
import { checkScoresAndLabels, type GuardedField } from '../stage/provenance.js';
import { warn, withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';
import { nonPositiveError, parseFeature, transformFeatureValue } from './feature.js';
import { IdIndex } from '../id-index.js';
import { outsideDomain } from '../score/columns.js';
import { RISK_SCHEMA, serializeRiskModel, type MeanStd, type PrCurve, type RiskMetrics, type RiskModel, type RocCurve } from './schema.js';
import { fingerprintColumns, rowsFingerprinter, type RowsFingerprint } from '../filter/scores-identity.js';

export const DEFAULT_FEATURES = ['teacher_ppl', 'baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy'];

export interface ProtocolOptions {
  /** negatives sampled per positive (r); all negatives when fewer exist */
  negativesPerPositive?: number;
  /** share of each trial's sample held out for evaluation, per class */
  testFraction?: number;
  trials?: number;
  seed?: number;
  /** threshold for precision/recall/F1/accuracy and the model's default */
  threshold?: number;
  /** scikit-learn's C */
  C?: number;
}

export interface TrainOptions extends ProtocolOptions, WarningOptions {
  /** scores file (Parquet, Arrow IPC or JSONL) with the id and feature columns */
  scores: string;
  /** labels file (Parquet, Arrow IPC or JSONL; e.g. an audit) with the id and label columns */
  labels: string;
  labelColumn?: string;
  idColumn?: string;
  /** score columns or log(column) of positive ones (src/risk/feature.ts) */
  features?: string[];
  /** provenance fields scores and labels may differ in (--allow-mismatch) */
  allowMismatch?: GuardedField[];
}

/** Joined training rows: one label and one value per feature for each id. */
export interface RiskData {
  ids: string[];
  featureNames: string[];
  /** one array per feature: the column's values, transformed (log) where the feature says so */
  features: Float64Array[];
  /** 1 = memorized */
  labels: Uint8Array;
  /** ids with a null label (an audit leaves rows shorter than prefix + suffix unaudited): not used */
  unlabelled?: number;
}

export interface ProtocolResult {
  scaler: { mean: number[]; std: number[] };
  coefficients: number[];
  intercept: number;
  iterations: number;
  metrics: RiskMetrics;
  roc: RocCurve;
  pr: PrCurve;
  /** row indices (into RiskData) of every trial's held-out rows, pooled in trial order (the validation curves' rows) */
  heldOutRows: Int32Array;
  /** row indices (into RiskData) the final model was fitted on: positives, then sampled negatives */
  finalSample: Int32Array;
  finalPositives: number;
}

/** Reads, joins and checks the inputs, runs the protocol, and returns the model (not yet written). */
export function trainRiskModel(options: TrainOptions): Promise<Warned<RiskModel>> {
  return withWarnings(options, () => fitRiskModel(options));
}

async function fitRiskModel(options: TrainOptions): Promise<RiskModel> {
  const idColumn = options.idColumn ?? 'id';
  const labelColumn = options.labelColumn ?? 'memorized';
  const featureNames = options.features ?? DEFAULT_FEATURES;
  checkProtocolOptions(options);
  if (featureNames.length === 0) throw new UserError('--features: give at least one feature column');
  const duplicateFeature = featureNames.find((f, i) => featureNames.indexOf(f) !== i);
  if (duplicateFeature) throw new UserError(`--features: ${duplicateFeature} is listed twice`);

  const { scoring, labelsMade, alike } = await checkScoresAndLabels(options.scores, options.labels, labelColumn, options.allowMismatch);
  const { data, scoresRows, labelsRows, scoresFingerprint: scoresRowsFingerprint } = await readRiskData({ scores: options.scores, labels: options.labels, idColumn, labelColumn, features: featureNames });
  const seed = options.seed ?? 0;
  const trials = options.trials ?? 100;
  const negativesPerPositive = options.negativesPerPositive ?? 3;
  const testFraction = options.testFraction ?? 0.3;
  const threshold = options.threshold ?? 0.5;
  const result = runRiskProtocol(data, { seed, trials, negativesPerPositive, testFraction, threshold, C: options.C });
  const positives = data.labels.reduce((s, v) => s + v, 0);
  const [scoresSha, labelsSha] = await Promise.all([sha256File(options.scores), sha256File(options.labels)]);
  if (!scoring) {
    const message = `--scores ${options.scores} records no provenance (made by another tool or an older memsieve): the risk model will not record how its training scores were made, so filter cannot check later scores against them`;
    warn({ code: 'scores-no-provenance', message, option: '--scores', file: options.scores });
  }
  return {
    schema: RISK_SCHEMA,
    features: featureNames,
    scaler: result.scaler,
    coefficients: result.coefficients,
    intercept: result.intercept,
    threshold,
    metrics: result.metrics,
    roc: result.roc,
    pr: result.pr,
    provenance: {
      tool: 'memsieve',
      tool_version: VERSION,
      created: new Date().toISOString(),
      inputs: {
        scores: { path: options.scores, sha256: scoresSha, rows: scoresRows, rows_fingerprint: scoresRowsFingerprint },
        labels: { path: options.labels, sha256: labelsSha, rows: labelsRows },
      },
      id_column: idColumn,
      label_column: labelColumn,
      joined_rows: data.ids.length,
      unlabelled_rows: data.unlabelled,
      positives,
      negatives: data.ids.length - positives,
      seed,
      trials,
      negatives_per_positive: negativesPerPositive,
      test_fraction: testFraction,
      final_sample: { positives: result.finalPositives, negatives: result.finalSample.length - result.finalPositives },
      solver: { method: 'newton', penalty: 'l2', C: options.C ?? 1, iterations: result.iterations },
      scoring,
      labels_audit: labelsMade,
      ...(alike.allowed_mismatches.length > 0 ? { allowed_mismatches: alike.allowed_mismatches } : {}),
    },
    feature_ranges: featureRanges(featureNames, data.features),
  };
}

/**
 * Reads the id, label and feature columns of scores and labels and joins them (joinRiskData): train's
 * reader, which evaluate shares so both accept and reject the same files.
 */
export async function readRiskData(options: {
  scores: string;
  labels: string;
  idColumn: string;
  labelColumn: string;
  features: string[];
  /** the command reading, as messages name it (default train) */
  command?: 'train' | 'evaluate';
}): Promise<{ data: RiskData; scoresRows: number; labelsRows: number; scoresFingerprint: RowsFingerprint }> {
  const { idColumn, labelColumn, features: featureNames } = options;
  const scoresColumns = fingerprintColumns(idColumn, featureNames);
  // the scores' rows fingerprint (filter/scores-identity.ts) from this same read
  const fingerprinter = rowsFingerprinter(scoresColumns, `--scores ${options.scores}`);
  const [scores, labels] = await Promise.all([
    readColumns(options.scores, scoresColumns, '--scores', (batch) => fingerprinter.add(batch)),
    readColumns(options.labels, [idColumn, labelColumn], '--labels'),
  ]);
  const data = joinRiskData(
    { path: options.scores, ids: scores.columns[idColumn], features: featureNames.map((f) => scores.columns[parseFeature(f).column]) },
    { path: options.labels, ids: labels.columns[idColumn], labels: labels.columns[labelColumn], labelColumn },
    featureNames,
    options.command,
  );
  return { data, scoresRows: scores.rows, labelsRows: labels.rows, scoresFingerprint: fingerprinter.result() };
}

/** Writes risk.json atomically. */
export async function writeRiskModel(path: string, model: RiskModel): Promise<void> {
  await writeFileAtomic(path, serializeRiskModel(model));
}

function checkProtocolOptions(options: ProtocolOptions): void {
  const { negativesPerPositive = 3, testFraction = 0.3, trials = 100, seed = 0, threshold = 0.5, C = 1 } = options;
  if (!(Number.isFinite(negativesPerPositive) && negativesPerPositive > 0)) {
    throw new UserError(`--negatives-per-positive must be a positive number, got ${negativesPerPositive}`);
  }
  if (!(testFraction > 0 && testFraction < 1)) throw new UserError(`--test-fraction must be between 0 and 1, got ${testFraction}`);
  if (!(Number.isInteger(trials) && trials >= 1)) throw new UserError(`--trials must be a whole number >= 1, got ${trials}`);
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) throw new UserError(`--seed must be a whole number in [0, 2^32), got ${seed}`);
  if (!(threshold >= 0 && threshold <= 1)) throw new UserError(`threshold must be in [0, 1], got ${threshold}`);
  if (!(Number.isFinite(C) && C > 0)) throw new UserError(`C must be a positive number, got ${C}`);
}

function idKey(value: unknown, path: string, row: number): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new UserError(`${path}: row ${row} has id ${JSON.stringify(value ?? null)}; every row needs a string or integer id`);
}

/**
 * Joins scores and labels by id. Both must hold the same ids once each; labels are booleans, 0/1 or
 * null (unaudited: left out and counted); labelled rows need finite features (positive under log).
 * `scores.features` holds each feature's source column; the transforms of `featureNames` are applied
 * here. Rows come out sorted by id (code-unit order), so samples, and the model, do not depend on the
 * files' row order.
 */
export function joinRiskData(
  scores: { path: string; ids: unknown[]; features: unknown[][] },
  labels: { path: string; ids: unknown[]; labels: unknown[]; labelColumn: string },
  featureNames: string[],
  command: 'train' | 'evaluate' = 'train',
): RiskData {
  // IdIndex rather than Map/Set: no 2^24-entry limit
  const labelRowOf = new IdIndex();
  const labelOf = new Uint8Array(labels.ids.length); // UNLABELLED for a null label
  for (let i = 0; i < labels.ids.length; i++) {
    const id = idKey(labels.ids[i], labels.path, i);
    if (labelRowOf.add(id, i) >= 0) throw new UserError(`${labels.path}: id "${id}" occurs twice; labels need one row per id`);
    labelOf[i] = toLabel(labels.labels[i], labels.path, id, labels.labelColumn);
  }
  const n = scores.ids.length;
  const ids: string[] = new Array(n);
  const y = new Uint8Array(n);
  const scoresRowOf = new IdIndex();
  const labelMatched = new Uint8Array(labels.ids.length);
  const missing: string[] = [];
  let missingCount = 0;
  for (let i = 0; i < n; i++) {
    const id = idKey(scores.ids[i], scores.path, i);
    if (scoresRowOf.add(id, i) >= 0) throw new UserError(`${scores.path}: id "${id}" occurs twice; scores need one row per id`);
    ids[i] = id;
    const at = labelRowOf.get(id);
    if (at < 0) {
      missingCount++;
      if (missing.length < 3) missing.push(id);
    } else {
      y[i] = labelOf[at];
      labelMatched[at] = 1;
    }
  }
  const extra: string[] = [];
  for (let i = 0; i < labels.ids.length; i++) if (!labelMatched[i]) extra.push(String(labels.ids[i]));
  if (missingCount > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missingCount > 0) parts.push(`${missingCount} scored ids have no label (first: ${missing.map((s) => JSON.stringify(s)).join(', ')})`);
    if (extra.length > 0) parts.push(`${extra.length} labelled ids have no scores (first: ${extra.slice(0, 3).map((s) => JSON.stringify(s)).join(', ')})`);
    throw new UserError(
      `--scores ${scores.path} and --labels ${labels.path} hold different ids: ${parts.join('; ')}. ` +
        'Score and audit the same corpus, or check --id-column',
    );
  }
  const labelled = Int32Array.from({ length: n }, (_, i) => i).filter((i) => y[i] !== UNLABELLED);
  const features = scores.features.map((column, j) => {
    const spec = parseFeature(featureNames[j]);
    const values = new Float64Array(n);
    for (const i of labelled) {
      const v = column[i];
      const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : NaN;
      if (v !== null && v !== undefined && typeof v !== 'number' && typeof v !== 'bigint') {
        throw new UserError(`${scores.path}: column ${spec.column} holds ${typeof v} values (row id "${ids[i]}": ${JSON.stringify(v)}); features must be numeric columns`);
      }
      if (!Number.isFinite(x)) {
        throw new UserError(
          `${scores.path}: row id "${ids[i]}" has ${spec.column} = ${v === null || v === undefined ? 'missing' : String(v)}; ` +
            `${command} needs a finite value for every feature: re-score the row or drop it`,
        );
      }
      values[i] = transformFeatureValue(spec, x);
      if (Number.isNaN(values[i])) throw nonPositiveError(`${scores.path}: row id "${ids[i]}"`, spec, x);
      const outside = outsideDomain(spec.column, x);
      if (outside) throw new UserError(`${scores.path}: row id "${ids[i]}" has ${spec.column} = ${x}; it ${outside}: re-score the row or drop it`);
    }
    // evaluate applies a fitted scaler; only a fit needs the sums
    if (command === 'train') checkStandardizable(values, labelled, ids, `${scores.path}: feature ${featureNames[j]}`);
    return values;
  });
  const order = labelled.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  return {
    ids: Array.from(order, (i) => ids[i]),
    featureNames,
    features: features.map((column) => Float64Array.from(order, (i) => column[i])),
    labels: Uint8Array.from(order, (i) => y[i]),
    unlabelled: n - labelled.length,
  };
}

const UNLABELLED = 2;

function toLabel(value: unknown, path: string, id: string, column: string): number {
  if (value === true || value === 1 || value === 1n) return 1;
  if (value === false || value === 0 || value === 0n) return 0;
  if (value === null || value === undefined) return UNLABELLED;
  throw new UserError(`${path}: row id "${id}" has ${column} = ${JSON.stringify(String(value))}; labels must be true/false, 1/0 or null (unaudited)`);
}

/** Row indices of each class. */
function indexClasses(labels: Uint8Array): { positives: Int32Array; negatives: Int32Array } {
  let count = 0;
  for (let i = 0; i < labels.length; i++) count += labels[i];
  const positives = new Int32Array(count);
  const negatives = new Int32Array(labels.length - count);
  for (let i = 0, a = 0, b = 0; i < labels.length; i++) {
    if (labels[i]) positives[a++] = i;
    else negatives[b++] = i;
  }
  return { positives, negatives };
}

/** All positives and r× as many negatives (all when fewer), drawn with `rng`: positives first. */
export function sampleRows(
  labels: Uint8Array | { positives: Int32Array; negatives: Int32Array },
  negativesPerPositive: number,
  rng: Rng,
): { rows: Int32Array; positives: number } {
  const { positives, negatives } = labels instanceof Uint8Array ? indexClasses(labels) : labels;
  const k = Math.min(negatives.length, Math.round(negativesPerPositive * positives.length));
  const drawn = sampleWithoutReplacement(negatives, k, rng);
  const rows = new Int32Array(positives.length + k);
  rows.set(positives);
  rows.set(drawn, positives.length);
  return { rows, positives: positives.length };
}

/** Columns of `data` at `rows`. */
function take(data: RiskData, rows: Int32Array): { x: Float64Array[]; y: Uint8Array } {
  const x = data.features.map((column) => {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = column[rows[i]];
    return out;
  });
  const y = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) y[i] = data.labels[rows[i]];
  return { x, y };
}

/** Scaler and logistic fit on the rows given. */
/**
 * Refuses a feature whose mean or variance over the labelled rows overflows a double (values near 1e308):
 * its scaler would hold Infinity or NaN. Any sample of the rows then stays finite too (its sums are smaller).
 */
function checkStandardizable(values: Float64Array, rows: Int32Array, ids: string[], what: string): void {
  let sum = 0;
  let absSum = 0;
  for (const i of rows) {
    sum += values[i];
    absSum += Math.abs(values[i]);
  }
  const mean = sum / rows.length;
  let squares = 0;
  for (const i of rows) squares += (values[i] - mean) ** 2;
  if (Number.isFinite(absSum) && Number.isFinite(squares)) return;
  const largest = Array.from(rows)
    .sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]))
    .slice(0, 3)
    .map((i) => `id "${ids[i]}" (${values[i]})`);
  throw new UserError(
    `${what}: values too large to standardize (their ${Number.isFinite(absSum) ? 'variance' : 'sum'} overflows a double); the largest: ${largest.join(', ')}; re-score or drop those rows`,
  );
}

function fitStandardized(x: Float64Array[], y: Uint8Array, names: string[], C: number) {
  const scaled = standardize(x, names);
  const fit = fitLogistic(scaled.columns, y, { C });
  // the input checks keep these finite; a model with Infinity or NaN in it must never be written
  const bad = names.filter((_, j) => ![scaled.mean[j], scaled.std[j], fit.coefficients[j]].every(Number.isFinite));
  if (bad.length > 0 || !Number.isFinite(fit.intercept)) {
    throw new UserError(`the fit of ${bad.length > 0 ? `feature(s) ${listFew(bad)}` : 'the intercept'} is not finite (an extreme value or a degenerate sample); check those score columns for huge values`);
  }
  return { scaled, fit };
}

function meanStd(values: number[]): MeanStd {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

/** Trial streams are 1..trials, the final sample stream 0 (see random.ts). */
export function runRiskProtocol(data: RiskData, options: ProtocolOptions = {}): ProtocolResult {
  checkProtocolOptions(options);
  const { negativesPerPositive = 3, testFraction = 0.3, trials = 100, seed = 0, threshold = 0.5, C = 1 } = options;
  const positives = data.labels.reduce((s, v) => s + v, 0);
  const negatives = data.labels.length - positives;
  if (positives === 0) throw new UserError(`the labels mark no row as memorized (0 of ${data.labels.length}); train needs memorized and non-memorized rows`);
  if (negatives === 0) throw new UserError(`the labels mark every row as memorized (${positives}); train needs non-memorized rows too`);
  if (positives < 2) throw new UserError('the labels mark only 1 row as memorized; train needs at least 2 to hold one out for evaluation');
  if (negatives < 2) throw new UserError('the labels mark only 1 row as not memorized; train needs at least 2');

  const perTrial = { roc_auc: [] as number[], average_precision: [] as number[], precision: [] as number[], recall: [] as number[], f1: [] as number[], accuracy: [] as number[] };
  const coefficientsPerTrial: number[][] = data.featureNames.map(() => []);
  const pooledLabels: Uint8Array[] = [];
  const pooledScores: Float64Array[] = [];
  const pooledRows: Int32Array[] = [];
  const classes = indexClasses(data.labels);
  for (let trial = 1; trial <= trials; trial++) {
    const rng = createRng(seed, trial);
    const sample = sampleRows(classes, negativesPerPositive, rng);
    const pos = shuffle(sample.rows.slice(0, sample.positives), rng);
    const neg = shuffle(sample.rows.slice(sample.positives), rng);
    const testCount = (n: number) => Math.min(n - 1, Math.max(1, Math.round(testFraction * n)));
    const nPos = testCount(pos.length);
    const nNeg = testCount(neg.length);
    const testRows = new Int32Array(nPos + nNeg);
    testRows.set(pos.subarray(0, nPos));
    testRows.set(neg.subarray(0, nNeg), nPos);
    const trainRows = new Int32Array(pos.length - nPos + neg.length - nNeg);
    trainRows.set(pos.subarray(nPos));
    trainRows.set(neg.subarray(nNeg), pos.length - nPos);
    const train = take(data, trainRows);
    const { scaled, fit } = fitStandardized(train.x, train.y, data.featureNames, C);
    const test = take(data, testRows);
    const testScaled = test.x.map((col, j) => col.map((v) => (v - scaled.mean[j]) / scaled.std[j]));
    const p = predictLogistic(fit, testScaled);
    perTrial.roc_auc.push(rocAuc(test.y, p));
    perTrial.average_precision.push(averagePrecision(test.y, p));
    const at = binaryMetrics(test.y, p, threshold);
    perTrial.precision.push(at.precision);
    perTrial.recall.push(at.recall);
    perTrial.f1.push(at.f1);
    perTrial.accuracy.push(at.accuracy);
    fit.coefficients.forEach((w, j) => coefficientsPerTrial[j].push(w));
    pooledLabels.push(test.y);
    pooledScores.push(p);
    pooledRows.push(testRows);
  }
  const allLabels = concat(pooledLabels, Uint8Array);
  const allScores = concat(pooledScores, Float64Array);
  const heldOutRows = concat(pooledRows, Int32Array);
  // each feature alone as the score, raw (no orientation): the single-feature membership-inference AUC
  const featureRocAuc = Object.fromEntries(
    data.featureNames.map((name, j) => [name, rocAuc(allLabels, Float64Array.from(heldOutRows, (row) => data.features[j][row]))]),
  );

  const finalRng = createRng(seed, 0);
  const final = sampleRows(classes, negativesPerPositive, finalRng);
  const sampled = take(data, final.rows);
  const { scaled, fit } = fitStandardized(sampled.x, sampled.y, data.featureNames, C);
  return {
    scaler: { mean: Array.from(scaled.mean), std: Array.from(scaled.std) },
    coefficients: Array.from(fit.coefficients),
    intercept: fit.intercept,
    iterations: fit.iterations,
    metrics: {
      roc_auc: meanStd(perTrial.roc_auc),
      average_precision: meanStd(perTrial.average_precision),
      precision: meanStd(perTrial.precision),
      recall: meanStd(perTrial.recall),
      f1: meanStd(perTrial.f1),
      accuracy: meanStd(perTrial.accuracy),
      coefficients: Object.fromEntries(data.featureNames.map((name, j) => [name, meanStd(coefficientsPerTrial[j])])),
      feature_roc_auc: featureRocAuc,
    },
    // every threshold (no drop_intermediate), so --target-recall gets the highest threshold reaching its recall
    roc: thinRocCurve(rocCurve(allLabels, allScores, false)),
    pr: thinPrCurve(precisionRecallCurve(allLabels, allScores)),
    heldOutRows,
    finalSample: final.rows,
    finalPositives: final.positives,
  };
}

function concat<T extends Uint8Array | Int32Array | Float64Array>(parts: T[], Kind: { new (n: number): T }): T {
  const out = new Kind(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part as never, offset);
    offset += part.length;
  }
  return out;
}

/** One-line human summary for the CLI. */
export function summarizeRiskModel(model: RiskModel, output: string): string {
  const m = model.metrics;
  const f = (s: { mean: number; std: number }) => `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`;
  const p = model.provenance;
  const lines = [
    `trained on ${p.final_sample.positives} memorized + ${p.final_sample.negatives} sampled rows of ${p.joined_rows}; ${p.trials} trials (${Math.round(p.test_fraction * 100)}% held out, seed ${p.seed})` +
      (p.unlabelled_rows ? `; ${p.unlabelled_rows} rows without a label (unaudited: too short for the audit) left out` : ''),
    `ROC-AUC ${f(m.roc_auc)}  AP ${f(m.average_precision)}  precision ${f(m.precision)}  recall ${f(m.recall)}  F1 ${f(m.f1)}  accuracy ${f(m.accuracy)}  (threshold ${model.threshold})`,
    'standardized coefficients (final model; trials mean ± std); ROC-AUC of the feature alone (raw: < 0.5 when lower values mean memorized):',
    ...model.features.map(
      (name, j) =>
        `  ${name.padEnd(26)} ${model.coefficients[j].toFixed(4).padStart(9)}   (${f(m.coefficients[name])})` +
        (m.feature_roc_auc ? `   alone ROC-AUC ${m.feature_roc_auc[name].toFixed(3)}` : ''),
    ),
    `  ${'intercept'.padEnd(26)} ${model.intercept.toFixed(4).padStart(9)}`,
    `wrote ${output}`,
  ];
  return lines.join('\n') + '\n';
}
