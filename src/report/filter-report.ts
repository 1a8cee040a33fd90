// report.html of `memsieve filter`, built from the manifest alone: summary, risk histogram with the
// threshold, the model's validation ROC curve, and each feature's distribution for kept vs removed
// rows (Borkar et al. 2026, Figure 7).
import type { Manifest } from '../filter/manifest.js';
import type { RemovedRow, SplitHistogram } from '../filter/types.js';
import { integerCutEdge, parseRule, ruleCuts } from '../filter/rule.js';
import { escapeHtml, figure, keyValueTable, page } from './html.js';
import { evaluationRows, heldOutNote, reliabilityFigure, rocFigure } from './evaluation-report.js';
import { formatTick, histogramChart, rocChart } from './svg.js';
import { describeTransfer, type Provenance } from '../stage/provenance.js';

const KEPT = '#2b6cb0';
const REMOVED = '#c53030';

const METHOD: Record<Manifest['threshold']['method'], string> = {
  threshold: '--threshold',
  remove_top: '--remove-top',
  target_recall: '--target-recall',
  model_default: "the model's default threshold",
  rule: '--rule',
};

/** The report page from the manifest and the highest-risk removed rows (the removed-rows list has them all). */
export function renderFilterReport(manifest: Manifest, topRemoved: RemovedRow[]): string {
  const s = manifest.summary;
  const t = manifest.threshold;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const how = t.method === 'remove_top' ? `--remove-top ${pct(t.requested ?? 0)}` : t.requested === null ? METHOD[t.method] : `${METHOD[t.method]} ${t.requested}`;
  const model = manifest.model;
  const rule = manifest.rule;
  const columns = model ? model.features : (rule?.columns ?? []);
  const decision: [string, string][] = model
    ? [
        ['threshold', `risk ≥ ${t.value.toPrecision(6)} (from ${how})`],
        // which corpus a recall is measured on, said beside it: the training corpus's validation split here, the evaluated rows below
        [`recall / FPR at threshold, validation split of the training corpus${model.trained_on === undefined ? '' : model.trained_on.this_corpus ? ' (this one)' : ' (another one)'}`, t.validation ? `${t.validation.tpr.toFixed(4)} / ${t.validation.fpr.toFixed(4)} (risk.json, from 'memsieve train')` : 'n/a'],
        ['model ROC-AUC', `${model.roc_auc.mean.toFixed(4)} ± ${model.roc_auc.std.toFixed(4)} (validation, mean ± std over trials)`],
        ['model', `${model.path} (sha256 ${model.sha256})`],
        ['model trained on', trainedOnText(manifest)],
        ['features', model.features.join(', ')],
      ]
    : [
        ['rule', `${rule!.canonical} (rows where it holds were removed; no model; risk column 1 where it holds, 0 where not)`],
        ['rule columns', rule!.columns.join(', ')],
      ];
  const summary = keyValueTable([
    ['rows in', s.rows_in.toLocaleString('en-US')],
    ['kept (D_clean)', `${s.kept.toLocaleString('en-US')} (${pct(s.kept / Math.max(1, s.rows_in))})`],
    ['removed', `${s.removed.toLocaleString('en-US')} (${pct(s.removed_fraction)})`],
    ...(s.unscored ? [['kept unscored', `${s.unscored.toLocaleString('en-US')} rows ${rule ? 'with a rule column null' : "too short for the model's features"} (risk null in D_clean)`] as [string, string]] : []),
    ...decision,
    ['input', manifest.input.files.map((f) => f.path).join(', ')],
    ['clean / removed', `${manifest.clean.files.map((f) => f.path).join(', ')} / ${manifest.removed.files.map((f) => f.path).join(', ')}`],
    ['created', `${manifest.created} by memsieve ${manifest.tool_version}`],
    ...(manifest.scoring && describeTransfer(manifest.scoring) ? [['TRANSFER', describeTransfer(manifest.scoring)!] as [string, string]] : []),
    ...(manifest.warnings ?? []).map((w) => ['WARNING', w] as [string, string]),
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

  const roc = model?.roc ?? { fpr: [], tpr: [] };
  const auc = model?.roc_auc ?? { mean: NaN, std: NaN };
  const modelRocFigure = figure(
    rocChart({ title: 'Risk model ROC (validation)', roc, auc: auc.mean, color: KEPT, point: t.validation ? { ...t.validation, color: REMOVED } : undefined }),
    "ROC curve stored in risk.json by 'memsieve train' (pooled held-out predictions); the dot is the chosen threshold.",
    'roc-curve',
  );

  // a rule's cut on each column it compares, drawn where it parts the rows (on a bin edge for integers)
  const cuts = rule ? ruleCuts(parseRule(rule.canonical).root) : {};
  const featureFigures = columns.map((name) => {
    const h = manifest.distributions.features[name];
    const cut = cuts[name];
    const edge = cut === undefined ? undefined : h.integer ? integerCutEdge(cut) : cut.value;
    // a cut beyond every value parts nothing here: said in the caption, not drawn off the axis
    const at = edge !== undefined && edge >= h.edges[0] && edge <= h.edges[h.edges.length - 1] ? edge : undefined;
    const width = h.edges.length > 1 ? h.edges[1] - h.edges[0] : 1;
    const bins = h.integer ? `; bins of whole numbers${width > 1 ? `, ${width} values each` : ''}` : '';
    return figure(
      histogramChart({
        title: name,
        xLabel: name,
        yLabel: 'share of group',
        edges: h.edges,
        series: shares(h, s.kept, s.removed),
        ...(at === undefined ? {} : { marker: { x: at, label: `${name} ${cut!.op} ${formatTick(cut!.value)}`, color: '#000' } }),
      }),
      `${name} of kept vs removed rows, each as a share of its group${bins}${at !== undefined ? "; the dashed line is the rule's cut" : cut !== undefined ? `; the rule's cut (${name} ${cut.op} ${formatTick(cut.value)}) lies beyond every value` : ''}${h.clipped ? `; ${h.clipped} values beyond the 0.5–99.5% range counted in the edge bins` : ''}.`,
      `feature-${name}`,
    );
  });

  const rows = topRemoved;
  const features = columns;
  // the feature whose log-odds term pushed the row's risk up most: why it was removed
  const mainReason = (r: RemovedRow) => {
    const [name, term] = Object.entries(r.log_odds ?? {}).reduce((best, entry) => (entry[1] > best[1] ? entry : best), ['', -Infinity]);
    return name ? `${escapeHtml(name)} (${term >= 0 ? '+' : ''}${term.toFixed(2)})` : '';
  };
  const table =
    `<table><tr><th>id</th><th class="n">risk</th>${features.map((f) => `<th class="n">${escapeHtml(f)}</th>`).join('')}<th>${rule ? 'rule clauses that hold' : 'largest log-odds term'}</th></tr>` +
    rows.map((r) => `<tr><td><code>${escapeHtml(r.id)}</code></td><td class="n">${r.risk.toFixed(4)}</td>${features.map((f) => `<td class="n">${formatTick(r.features[f] ?? NaN)}</td>`).join('')}<td>${rule ? escapeHtml((r.reason ?? []).join(', ')) : mainReason(r)}</td></tr>`).join('') +
    '</table>';

  return page('memsieve removal report', [
    `<h1>memsieve removal report</h1><p class="sub">Rows a distilled student is likely to memorize, removed before distillation. Verify with <code>memsieve verify --report &lt;this folder&gt;</code>.</p>`,
    '<h2>Summary</h2>',
    summary,
    ...(model ? ['<h2>Risk and model</h2>', `<div class="figures">${riskFigure}${modelRocFigure}</div>`] : []),
    ...evaluationSection(manifest),
    ...provenanceSection(manifest),
    `<h2>${rule ? 'Rule columns' : 'Features'} of kept vs removed rows</h2>`,
    `<div class="figures">${featureFigures.join('')}</div>`,
    `<h2>Removed rows</h2><p class="sub">${rows.length < manifest.removed_rows.rows ? `The ${rows.length} highest-risk of ${manifest.removed_rows.rows}; ` : ''}<code>${escapeHtml(manifest.removed_rows.path)}</code> lists every removed row with its content hash.</p>`,
    table,
  ]);
}

/** Whether the model was trained on this corpus (its scores file is the one filtered) or transferred from another. */
function trainedOnText(manifest: Manifest): string {
  const trained = manifest.model?.trained_on;
  if (!trained) return 'unknown (risk.json has no training provenance)';
  const where = `scores ${trained.scores.path} (sha256 ${trained.scores.sha256.slice(0, 12)}…), labels ${trained.labels.path}`;
  return trained.this_corpus
    ? `this corpus: its scores are the ones filtered here (${where})`
    : `another corpus: ${where}; not the scores filtered here (sha256 ${manifest.scores.files[0]?.sha256.slice(0, 12)}…). ${manifest.evaluation ? 'See the evaluation below.' : "Measure how it transfers with 'memsieve evaluate' on labelled rows of this corpus and pass --evaluation."}`;
}

/** The evaluation passed with --evaluation: what it was measured on, its figures. */
function evaluationSection(manifest: Manifest): string[] {
  const entry = manifest.evaluation;
  if (!entry) return [];
  const e = entry.result;
  const on = entry.of_these_scores
    ? "this corpus's scores (the file filtered here)"
    : `other scores than the ones filtered here: ${e.scores.path} (sha256 ${e.scores.sha256.slice(0, 12)}…); the figures describe those rows, not this corpus`;
  const differs = e.threshold.value !== manifest.threshold.value ? ` (the filter's threshold here is ${manifest.threshold.value.toPrecision(6)})` : '';
  const table = keyValueTable([
    ['evaluation', `${entry.path} (sha256 ${entry.sha256}), of this model (sha256 matches)`],
    ['evaluated on', on],
    ['labels', `${e.labels.path}, column ${e.label_column}`],
    ['held out?', heldOutNote(e)],
    ...evaluationRows(e).map(([k, v]) => [k, k === 'threshold' ? v + differs : v] as [string, string]),
  ]);
  return ['<h2>Evaluation of the model (memsieve evaluate)</h2>', table, `<div class="figures">${rocFigure(e)}${reliabilityFigure(e)}</div>`];
}

/** How the scores were made against how the model's training scores were, and each feature's drift (docs/provenance.md). */
function provenanceSection(manifest: Manifest): string[] {
  const scoring = manifest.scoring;
  if (!scoring) return [];
  const { scores, trained } = scoring;
  const model = (p: Provenance | null, role: string) => (p?.models[role] ? `${p.models[role].path} (sha256 ${p.models[role].sha256.slice(0, 12)}…)` : '—');
  const specials = (p: Provenance | null) => (p ? `${p.tokenizer.special_tokens} (adds [${p.tokenizer.added_special_ids.leading.join(', ')}] before, [${p.tokenizer.added_special_ids.trailing.join(', ')}] after)` : '—');
  const value = (p: Provenance | null, field: 'max_tokens' | 'prefix_tokens' | 'suffix_tokens' | 'temperature' | 'min_k' | 'backend' | 'dtype' | 'tool_version') => (p ? String(p[field] ?? '—') : '—');
  const roles = [...new Set([...Object.keys(scores?.models ?? {}), ...Object.keys(trained?.models ?? {})])];
  const rows: [string, string, string][] = [
    ...roles.map((role) => [role, model(scores, role), model(trained, role)] as [string, string, string]),
    ['tokenizer', scores ? `${scores.tokenizer.path} (sha256 ${scores.tokenizer.sha256.slice(0, 12)}…)` : '—', trained ? `${trained.tokenizer.path} (sha256 ${trained.tokenizer.sha256.slice(0, 12)}…)` : '—'],
    ['special tokens', specials(scores), specials(trained)],
    ...(['max_tokens', 'prefix_tokens', 'suffix_tokens', 'temperature', 'min_k', 'backend', 'dtype', 'tool_version'] as const).map((f) => [f, value(scores, f), value(trained, f)] as [string, string, string]),
  ];
  const differs = new Set([...scoring.transfer, ...scoring.allowed_mismatches, ...scoring.other_differences].map((d) => d.field));
  const label = (field: string) => (field === 'special tokens' ? 'special_tokens' : field);
  const table =
    `<table><tr><th></th><th>these scores</th><th>${manifest.rule ? '' : "the model's training scores"}</th></tr>` +
    rows.map(([field, a, b]) => `<tr${differs.has(label(field)) ? ' class="differs"' : ''}><td>${escapeHtml(field)}${differs.has(label(field)) ? ' <b>differs</b>' : ''}</td><td>${escapeHtml(a)}</td><td>${manifest.rule ? '' : escapeHtml(b)}</td></tr>`).join('') +
    '</table>';
  const notes = [
    ...(describeTransfer(scoring) ? [`<p><b>${escapeHtml(describeTransfer(scoring)!)}</b>: allowed; the model's figures were measured on its own models' scores.</p>`] : []),
    ...scoring.allowed_mismatches.map((d) => `<p><b>${escapeHtml(d.field)} differs</b> and was allowed with <code>--allow-mismatch ${escapeHtml(d.field)}</code>.</p>`),
    ...scoring.warnings.map((w) => `<p>${escapeHtml(w)}</p>`),
  ];
  const drift = manifest.drift;
  const driftTable = drift
    ? `<p class="sub">Rows outside the range each feature was fitted on (risk.json's 0.1%–99.9% quantiles over the training rows); above ${100 * drift.warn_share}% the model extrapolates.</p>` +
      `<table><tr><th>feature</th><th class="n">training range</th><th class="n">rows outside</th><th class="n">share</th></tr>` +
      Object.entries(drift.features)
        .map(([name, f]) => `<tr><td>${escapeHtml(name)}${drift.warned.includes(name) ? ' <b>drift</b>' : ''}</td><td class="n">${formatTick(f.low)} – ${formatTick(f.high)}</td><td class="n">${f.outside.toLocaleString('en-US')} of ${f.rows.toLocaleString('en-US')}</td><td class="n">${(100 * f.share).toFixed(2)}%</td></tr>`)
        .join('') +
      '</table>'
    : '';
  return ['<h2>How the scores were made</h2>', table, ...notes, ...(driftTable ? ['<h2>Drift from the training range</h2>', driftTable] : [])];
}

/** Per-bin counts as a share of each group, so a few hundred removed rows show beside thousands kept. */
function shares(h: SplitHistogram, kept: number, removed: number) {
  return [
    { label: 'kept', color: KEPT, values: h.kept.map((c) => c / Math.max(1, kept)) },
    { label: 'removed', color: REMOVED, values: h.removed.map((c) => c / Math.max(1, removed)) },
  ];
}
