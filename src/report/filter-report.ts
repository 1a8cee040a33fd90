// report.html of `memsieve filter`, built from the manifest alone: summary, risk histogram with the
// threshold, the model's validation ROC curve, and each feature's distribution for kept vs removed
// rows (Borkar et al. 2026, Figure 7).
import type { Manifest, RemovedRow, SplitHistogram } from '../filter/manifest.js';
import { escapeHtml, figure, keyValueTable, page } from './html.js';
import { formatTick, histogramChart, lineChart } from './svg.js';

const KEPT = '#2b6cb0';
const REMOVED = '#c53030';

const METHOD: Record<Manifest['threshold']['method'], string> = {
  threshold: '--threshold',
  remove_top: '--remove-top',
  target_recall: '--target-recall',
  model_default: "the model's default threshold",
};

/** The report page from the manifest and the highest-risk removed rows (the removed-rows list has them all). */
export function renderFilterReport(manifest: Manifest, topRemoved: RemovedRow[]): string {
  const s = manifest.summary;
  const t = manifest.threshold;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const how = t.method === 'remove_top' ? `--remove-top ${pct(t.requested ?? 0)}` : t.requested === null ? METHOD[t.method] : `${METHOD[t.method]} ${t.requested}`;
  const auc = manifest.model.roc_auc;
  const summary = keyValueTable([
    ['rows in', s.rows_in.toLocaleString('en-US')],
    ['kept (D_clean)', `${s.kept.toLocaleString('en-US')} (${pct(s.kept / Math.max(1, s.rows_in))})`],
    ['removed', `${s.removed.toLocaleString('en-US')} (${pct(s.removed_fraction)})`],
    ...(s.unscored ? [['kept unscored', `${s.unscored.toLocaleString('en-US')} rows too short for the model's features (risk null in D_clean)`] as [string, string]] : []),
    ['threshold', `risk ≥ ${t.value.toPrecision(6)} (from ${how})`],
    ['validation recall / FPR at threshold', t.validation ? `${t.validation.tpr.toFixed(4)} / ${t.validation.fpr.toFixed(4)}` : 'n/a'],
    ['model ROC-AUC', `${auc.mean.toFixed(4)} ± ${auc.std.toFixed(4)} (validation, mean ± std over trials)`],
    ['model', `${manifest.model.path} (sha256 ${manifest.model.sha256})`],
    ['features', manifest.model.features.join(', ')],
    ['input', manifest.input.files.map((f) => f.path).join(', ')],
    ['clean / removed', `${manifest.clean.files.map((f) => f.path).join(', ')} / ${manifest.removed.files.map((f) => f.path).join(', ')}`],
    ['created', `${manifest.created} by memsieve ${manifest.tool_version}`],
  ]);

  const risk = manifest.distributions.risk;
  const riskFigure = figure(
    histogramChart({
      title: 'Risk of every row',
      xLabel: 'predicted risk of memorization',
      yLabel: 'rows (log scale)',
      edges: risk.edges,
      series: [
        { label: `kept (${s.kept})`, color: KEPT, values: risk.kept },
        { label: `removed (${s.removed})`, color: REMOVED, values: risk.removed },
      ],
      logY: true,
      marker: { x: t.value, label: `threshold ${formatTick(t.value)}`, color: '#000' },
    }),
    `Histogram of the risk of all ${s.rows_in} rows (50 bins); rows at or right of the dashed line were removed.`,
    'risk-histogram',
  );

  const roc = manifest.model.roc;
  const rocFigure = figure(
    lineChart({
      title: 'Risk model ROC (validation)',
      xLabel: 'false positive rate',
      yLabel: 'true positive rate',
      x: [0, 1],
      y: [0, 1],
      series: [
        { label: `AUC ${auc.mean.toFixed(3)}`, color: KEPT, points: roc.fpr.map((f, i) => [f, roc.tpr[i]] as const) },
        { label: 'chance', color: '#999', dash: '4 4', points: [[0, 0], [1, 1]] },
      ],
      dots: t.validation ? [{ x: t.validation.fpr, y: t.validation.tpr, label: 'threshold', color: REMOVED }] : [],
    }),
    "ROC curve stored in risk.json by 'memsieve train' (pooled held-out predictions); the dot is the chosen threshold.",
    'roc-curve',
  );

  const featureFigures = manifest.model.features.map((name) =>
    figure(
      histogramChart({
        title: name,
        xLabel: name,
        yLabel: 'share of group',
        edges: manifest.distributions.features[name].edges,
        series: shares(manifest.distributions.features[name], s.kept, s.removed),
      }),
      `${name} of kept vs removed rows, each as a share of its group${manifest.distributions.features[name].clipped ? `; ${manifest.distributions.features[name].clipped} values beyond the 0.5–99.5% range counted in the edge bins` : ''}.`,
      `feature-${name}`,
    ),
  );

  const rows = topRemoved;
  const features = manifest.model.features;
  // the feature whose log-odds term pushed the row's risk up most: why it was removed
  const mainReason = (r: RemovedRow) => {
    const [name, term] = Object.entries(r.log_odds ?? {}).reduce((best, entry) => (entry[1] > best[1] ? entry : best), ['', -Infinity]);
    return name ? `${escapeHtml(name)} (${term >= 0 ? '+' : ''}${term.toFixed(2)})` : '';
  };
  const table =
    `<table><tr><th>id</th><th class="n">risk</th>${features.map((f) => `<th class="n">${escapeHtml(f)}</th>`).join('')}<th>largest log-odds term</th></tr>` +
    rows.map((r) => `<tr><td><code>${escapeHtml(r.id)}</code></td><td class="n">${r.risk.toFixed(4)}</td>${features.map((f) => `<td class="n">${formatTick(r.features[f] ?? NaN)}</td>`).join('')}<td>${mainReason(r)}</td></tr>`).join('') +
    '</table>';

  return page('memsieve removal report', [
    `<h1>memsieve removal report</h1><p class="sub">Rows a distilled student is likely to memorize, removed before distillation. Verify with <code>memsieve verify --report &lt;this folder&gt;</code>.</p>`,
    '<h2>Summary</h2>',
    summary,
    '<h2>Risk and model</h2>',
    `<div class="figures">${riskFigure}${rocFigure}</div>`,
    '<h2>Features of kept vs removed rows</h2>',
    `<div class="figures">${featureFigures.join('')}</div>`,
    `<h2>Removed rows</h2><p class="sub">${rows.length < manifest.removed_rows.rows ? `The ${rows.length} highest-risk of ${manifest.removed_rows.rows}; ` : ''}<code>${escapeHtml(manifest.removed_rows.path)}</code> lists every removed row with its content hash.</p>`,
    table,
  ]);
}

/** Per-bin counts as a share of each group, so a few hundred removed rows show beside thousands kept. */
function shares(h: SplitHistogram, kept: number, removed: number) {
  return [
    { label: 'kept', color: KEPT, values: h.kept.map((c) => c / Math.max(1, kept)) },
    { label: 'removed', color: REMOVED, values: h.removed.map((c) => c / Math.max(1, removed)) },
  ];
}
