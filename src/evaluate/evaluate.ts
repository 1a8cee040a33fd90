// memsieve evaluate: a risk model on labelled rows it was not trained on. Joins scores and labels with
// train's reader (same errors), predicts each row's risk, and measures ranking (ROC-AUC, average
// precision), the cut at a threshold chosen as filter chooses it, and calibration.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { renderEvaluationReport } from '../report/evaluation-report.js';
import { reliabilityDiagram } from '../report/reliability.js';
import { sha256File, writeFileAtomic } from '../io/index.js';
import { chooseThreshold, type ThresholdChoice } from '../filter/threshold.js';
import { averagePrecision, binaryMetrics, loadRiskModel, predictRisk, rocAuc, rocCurve, thinRocCurve } from '../risk/index.js';
import { readRiskData } from '../risk/train.js';
import { VERSION } from '../version.js';
import { checkScoresAndLabels, checkScoresProvenance, describeTransfer, warnScoring, type GuardedField } from '../stage/provenance.js';
import { calibration } from './calibration.js';
import { EVALUATION_SCHEMA, type Evaluation } from './schema.js';
import { sameScoresRows } from '../filter/scores-identity.js';
import { withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';

/** Default number of equal-width calibration bins (scikit-learn's calibration_curve defaults to 5; 10 is the usual ECE). */
export const DEFAULT_CALIBRATION_BINS = 10;

export interface EvaluateOptions extends ThresholdChoice, WarningOptions {
  /** risk.json */
  model: string;
  scores: string;
  labels: string;
  labelColumn?: string;
  idColumn?: string;
  /** equal-width bins of the reliability curve and ECE */
  bins?: number;
  /** provenance fields that may differ between the scores and the model's training scores */
  allowMismatch?: GuardedField[];
}

export function evaluateRiskModel(options: EvaluateOptions): Promise<Warned<Evaluation>> {
  return withWarnings(options, () => measureRiskModel(options));
}

async function measureRiskModel(options: EvaluateOptions): Promise<Evaluation> {
  const idColumn = options.idColumn ?? 'id';
  const labelColumn = options.labelColumn ?? 'memorized';
  const bins = options.bins ?? DEFAULT_CALIBRATION_BINS;
  if (!(Number.isInteger(bins) && bins >= 1)) throw new UserError(`--bins must be a whole number >= 1, got ${bins}`);
  const model = await loadRiskModel(options.model);
  const scoring = await checkScoresProvenance([options.scores], model.provenance.scoring ?? null, { scores: options.scores, model: options.model }, options.allowMismatch);
  const { alike: labelsCheck } = await checkScoresAndLabels(options.scores, options.labels, labelColumn, options.allowMismatch, scoring.scores);
  const { data, scoresRows, labelsRows, scoresFingerprint: scoresRowsFingerprint } = await readRiskData({ scores: options.scores, labels: options.labels, idColumn, labelColumn, features: model.features, command: 'evaluate' });
  const positives = data.labels.reduce((s, v) => s + v, 0);
  const n = data.labels.length;
  if (positives === 0 || positives === n) {
    throw new UserError(`--labels ${options.labels}: ${positives === 0 ? 'no' : 'every'} labelled row is memorized (${positives} of ${n}); evaluate needs both classes`);
  }
  const risk = predictRisk(model, data.features);
  // every row here has all its features (readRiskData refuses gaps): NaN is the model's log-odds overflowing
  const nan = risk.findIndex(Number.isNaN);
  if (nan >= 0) {
    throw new UserError(`--model ${options.model}: the risk of id "${data.ids[nan]}" is not a number (the log-odds overflow: the model's coefficients or scaler are extreme); re-train the model with 'memsieve train'`);
  }
  const threshold = chooseThreshold(options, model, risk);
  const at = binaryMetrics(data.labels, risk, threshold.value);
  let removed = 0;
  let caught = 0;
  for (let i = 0; i < n; i++) {
    if (risk[i] >= threshold.value) {
      removed++;
      caught += data.labels[i];
    }
  }
  // a figure needs no more than ~1,000 points
  const roc = thinRocCurve(rocCurve(data.labels, risk), 500);
  const [modelSha, scoresSha, labelsSha] = await Promise.all([sha256File(options.model), sha256File(options.scores), sha256File(options.labels)]);
  // once every input is read and checked: a bad-input error comes alone
  warnScoring(scoring, options);
  const trainedOn = model.provenance.inputs;
  return {
    schema: EVALUATION_SCHEMA,
    tool: 'memsieve',
    tool_version: VERSION,
    created: new Date().toISOString(),
    model: { path: options.model, sha256: modelSha, trained_on: trainedOn },
    scores: { path: options.scores, sha256: scoresSha, rows: scoresRows, rows_fingerprint: scoresRowsFingerprint },
    labels: { path: options.labels, sha256: labelsSha, rows: labelsRows },
    trained_on_these_scores: await sameScoresRows(trainedOn.scores, options.scores, scoresSha, idColumn, '--scores', scoresRowsFingerprint),
    trained_on_these_labels: trainedOn.labels.sha256 === labelsSha,
    id_column: idColumn,
    label_column: labelColumn,
    rows: { joined: n, unlabelled: data.unlabelled ?? 0, positives, negatives: n - positives },
    roc_auc: rocAuc(data.labels, risk),
    average_precision: averagePrecision(data.labels, risk),
    threshold,
    at_threshold: { removed, removed_fraction: removed / n, caught, recall: at.recall, precision: at.precision, f1: at.f1 },
    calibration: calibration(data.labels, risk, bins),
    roc: { fpr: roc.fpr, tpr: roc.tpr },
    scoring,
    ...(labelsCheck.allowed_mismatches.length > 0 ? { labels_allowed_mismatches: labelsCheck.allowed_mismatches } : {}),
  };
}

export async function writeEvaluation(path: string, evaluation: Evaluation): Promise<void> {
  // the API's warnings stay out: the file's `scoring.warnings` already says what could not be checked
  const { warnings: _warnings, ...fields } = evaluation as Evaluation & { warnings?: unknown };
  await writeFileAtomic(path, JSON.stringify(fields, null, 1) + '\n');
}

/** The lines `memsieve evaluate` prints. */
export function summarizeEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const t = e.threshold;
  const a = e.at_threshold;
  const heldOut = e.trained_on_these_scores
    ? 'WARNING: these are the scores the model was trained on; the figures are not held out'
    : 'the model was trained on other scores (held out)';
  return [
    `${e.rows.joined} rows joined (${e.rows.unlabelled} unlabelled left out), ${e.rows.positives} memorized; ${heldOut}`,
    `ROC-AUC ${e.roc_auc.toFixed(4)}  average precision ${e.average_precision.toFixed(4)}`,
    `at risk >= ${t.value.toPrecision(6)} (${t.method}${t.requested === null ? '' : ` ${t.requested}`}): removes ${a.removed} rows (${pct(a.removed_fraction)}), ` +
      `recall ${a.recall.toFixed(4)} (${a.caught} of ${e.rows.positives} memorized), precision ${a.precision.toFixed(4)}`,
    `calibration: ECE ${e.calibration.ece.toFixed(4)} (${e.calibration.bins} equal-width bins), Brier ${e.calibration.brier.toFixed(4)}`,
    ...[e.scoring && describeTransfer(e.scoring)].filter((line): line is string => Boolean(line)),
  ].join('\n') + '\n';
}

export const EVALUATION_REPORT_FILE = 'report.html';

/** The reliability diagram as an SVG file (written atomically). */
export async function writeReliabilityFigure(path: string, evaluation: Evaluation): Promise<void> {
  await writeFileAtomic(path, reliabilityDiagram(evaluation.calibration) + '\n');
}

/** report.html into `dir` (created if missing), written atomically; returns its path. */
export async function writeEvaluationReport(dir: string, evaluation: Evaluation, inputs: string[] = []): Promise<string> {
  const html = join(dir, EVALUATION_REPORT_FILE);
  if (inputs.some((p) => resolve(p) === resolve(html))) throw new UserError(`--report ${dir}: ${html} is an input; an output may not overwrite an input`);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(html, renderEvaluationReport(evaluation));
  return html;
}
