// The page of `memsieve evaluate --report`: a risk model on held-out labelled rows, in the style of
// filter's report.html (same shell, same figures).
import type { Evaluation } from '../evaluate/schema.js';
import { escapeHtml, figure, keyValueTable, page } from './html.js';
import { reliabilityDiagram } from './reliability.js';
import { rocChart } from './svg.js';

const COLOR = '#2b6cb0';
const MARK = '#c53030';

/** One-line rows of an evaluation's figures, shared with filter's report when it shows an evaluation. */
export function evaluationRows(e: Evaluation): [string, string][] {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const a = e.at_threshold;
  return [
    ['rows joined', `${e.rows.joined.toLocaleString('en-US')} (${e.rows.positives.toLocaleString('en-US')} memorized${e.rows.unlabelled ? `, ${e.rows.unlabelled} unlabelled left out` : ''})`],
    ['ROC-AUC / average precision', `${e.roc_auc.toFixed(4)} / ${e.average_precision.toFixed(4)}`],
    ['threshold', `risk ≥ ${e.threshold.value.toPrecision(6)} (${e.threshold.method}${e.threshold.requested === null ? '' : ` ${e.threshold.requested}`})`],
    ['recall at threshold, evaluated', `${a.recall.toFixed(4)} (${a.caught} of ${e.rows.positives} memorized rows of the evaluated labels)`],
    ['precision at threshold', a.precision.toFixed(4)],
    ['rows removed at threshold', `${a.removed.toLocaleString('en-US')} (${pct(a.removed_fraction)})`],
    ['calibration', `ECE ${e.calibration.ece.toFixed(4)} (${e.calibration.bins} equal-width bins), Brier ${e.calibration.brier.toFixed(4)}`],
  ];
}

/** Where the model was trained, against the data evaluated on. */
export function heldOutNote(e: Evaluation): string {
  if (e.trained_on_these_scores) return 'not held out: the model was trained on these very scores';
  return `held out: the model was trained on other scores (${e.model.trained_on.scores.path}, sha256 ${e.model.trained_on.scores.sha256.slice(0, 12)}…)`;
}

export function rocFigure(e: Evaluation, id = 'evaluation-roc'): string {
  const point = e.roc.fpr.length > 0 ? operatingPoint(e) : undefined;
  return figure(
    rocChart({ title: 'ROC on the evaluated rows', roc: e.roc, auc: e.roc_auc, color: COLOR, point: point ? { fpr: point.x, tpr: point.y, color: MARK } : undefined }),
    `ROC curve of the model's risk on the ${e.rows.joined} labelled rows; the dot is the threshold.`,
    id,
  );
}

function operatingPoint(e: Evaluation): { x: number; y: number } {
  const negatives = e.rows.negatives;
  const fp = e.at_threshold.removed - e.at_threshold.caught;
  return { x: negatives === 0 ? 0 : fp / negatives, y: e.at_threshold.recall };
}

export function reliabilityFigure(e: Evaluation, id = 'reliability'): string {
  return figure(
    reliabilityDiagram(e.calibration),
    `Observed share of memorized rows against mean predicted risk in ${e.calibration.bins} equal-width bins (grey bars: rows per bin); on the dashed diagonal the risk is a calibrated probability.`,
    id,
  );
}

export function renderEvaluationReport(e: Evaluation): string {
  const summary = keyValueTable([
    ...evaluationRows(e),
    ['held out?', heldOutNote(e)],
    ['model', `${e.model.path} (sha256 ${e.model.sha256})`],
    ['scores', `${e.scores.path} (sha256 ${e.scores.sha256})`],
    ['labels', `${e.labels.path}, column ${e.label_column} (sha256 ${e.labels.sha256})`],
    ['created', `${e.created} by memsieve ${e.tool_version}`],
  ]);
  return page('memsieve evaluation', [
    `<h1>memsieve evaluation</h1><p class="sub">A risk model on labelled rows: how well it ranks memorized rows, what its threshold removes and catches, and whether its risk is a calibrated probability. Pass <code>${escapeHtml('--evaluation <file>')}</code> to <code>memsieve filter</code> to put these figures in the removal report.</p>`,
    '<h2>Summary</h2>',
    summary,
    '<h2>Ranking and calibration</h2>',
    `<div class="figures">${rocFigure(e)}${reliabilityFigure(e)}</div>`,
  ]);
}
