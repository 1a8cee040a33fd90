// memsieve filter: split a corpus into D_clean and removed rows by risk, and write the removal report.
// Passes: scores (risk by id), scores again (removed rows' features, the report's histograms), corpus
// (split, fingerprint, removed-rows list). Outputs go to temporary names and are renamed only once all
// succeeded; the manifest is written last, so a folder with a manifest.json holds a complete run.
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RefusedError, UserError } from '../errors.js';
import { metadataSidecarPath, renameWithSidecar } from '../io/metadata.js';
import { checkScoresProvenance, describeTransfer, warnScoring, type GuardedField } from '../stage/provenance.js';
import { warn, withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';
import { DriftCounter, describeDrift, driftOf, driftRanges, driftWarning } from './drift.js';
import { detectFormat, openReader, openWriter, sha256File, withColumns, withSchemaMetadata, writeFileAtomic } from '../io/index.js';
import type { BatchWriter } from '../io/types.js';
import { stagedPathFor, sweepStaged } from '../io/litter.js';
import { loadRiskModel } from '../risk/index.js';
import type { RiskModel } from '../risk/index.js';
import { loadEvaluation } from '../evaluate/schema.js';
import { modelScorer, ruleScorer } from './scorer.js';
import { parseRule, ruleCutEdges, type Rule } from './rule.js';
import { renderFilterReport } from '../report/filter-report.js';
import { VERSION } from '../version.js';
import { FINGERPRINT_ALGORITHM, MultisetHash, ROW_ENCODING, RowHasher } from './fingerprint.js';
import { sameScoresRows } from './scores-identity.js';
import { FineHistogramBuilder, RISK_BINS, SplitHistogramBuilder, fixedEdges, profileDistributions, type FilterProfile } from './histogram.js';
import { FILTER_OUTPUT_KEY, MANIFEST_SCHEMA, splitSummary, type FileEntry, type Manifest, type TrainedOn } from './manifest.js';
import { idAt, readRiskIndex, requireColumn, scoresColumns, type RiskIndex } from './scores.js';
import { missingColumnError } from '../io/missing-column.js';
import { ID_HINT } from '../io/add-ids.js';
import { float64Column } from '../score/columns.js';
import { chooseThreshold, type ThresholdChoice } from './threshold.js';
import { readThresholdFile } from './threshold-file.js';
import { relativeTo } from './paths.js';
import { REMOVED_LIST_FILE, RemovedListWriter } from './removed-list.js';
import { splitRows } from './take.js';
import type { Shard, ShardLedger } from '../stage/shard.js';
import type { RemovedRow, RowScorer, Threshold } from './types.js';

export const MANIFEST_FILE = 'manifest.json';
export const REPORT_FILE = 'report.html';
/** at most this many ids are named in an error */
const NAMED_IDS = 5;

export interface FilterOptions extends ThresholdChoice, WarningOptions {
  /** corpus files (read in the order given) */
  input: string | string[];
  scores: string;
  /** risk.json; give this or `rule` */
  model?: string;
  /** remove rows where this rule on score columns holds (src/filter/rule.ts), instead of a model */
  rule?: string;
  /** `memsieve evaluate`'s file for this model: its figures go into the report */
  evaluation?: string;
  clean: string;
  removed: string;
  /** report folder: manifest.json and report.html */
  report: string;
  idColumn?: string;
  /** copy removed rows' text into the manifest */
  includeText?: boolean;
  textColumn?: string;
  /** recorded in the manifest */
  commandLine?: string[];
  /** split only this shard's units of the corpus (see src/filter/shard.ts) */
  shard?: Shard;
  /** receives rows read and rows kept/removed per corpus batch, for `memsieve merge` */
  ledger?: ShardLedger;
  /** the scores files to join with (a shard's score parts, src/filter/score-parts.ts); default: `scores` */
  scoresFiles?: string[];
  /** count only these scores units (row groups) in the report's histograms, so that shards add up; default: all */
  profileUnits?: Shard;
  /** a threshold file from `memsieve threshold` (the corpus-wide --remove-top cut, src/filter/threshold-file.ts) */
  thresholdFrom?: string;
  /** provenance fields that may differ between the scores and the model's training scores */
  allowMismatch?: GuardedField[];
  /** refuse (exit 3, nothing written) to remove more than this share of the rows; default DEFAULT_MAX_REMOVED */
  maxRemoved?: number;
}

/** filter refuses to remove more than half of a corpus unless told to (--max-removed). */
export const DEFAULT_MAX_REMOVED = 0.5;

export interface FilterResult {
  manifest: Manifest;
  manifestPath: string;
  reportPath: string;
  /** the exact histogram counts behind manifest.distributions (a shard's go to its marker) */
  profile: FilterProfile;
}

/** `memsieve filter`; the result's `warnings` are those the manifest records, with their codes (src/stage/warnings.ts). */
export function filterCorpus(options: FilterOptions): Promise<Warned<FilterResult>> {
  return withWarnings(options, () => splitByRisk(options));
}

async function splitByRisk(options: FilterOptions): Promise<FilterResult> {
  const inputs = Array.isArray(options.input) ? options.input : [options.input];
  if (inputs.length === 0) throw new UserError('--input: give at least one corpus file');
  const idColumn = options.idColumn ?? 'id';
  const textColumn = options.includeText ? (options.textColumn ?? 'text') : null;
  const outputs = [options.clean, options.removed];
  for (const out of outputs) {
    if (inputs.includes(out) || [options.scores, options.model, options.evaluation].includes(out)) throw new UserError(`${out}: an output may not overwrite an input`);
  }
  if (options.clean === options.removed) throw new UserError('--clean and --removed must be different files');
  const cleanFormat = detectFormat(options.clean);
  const removedFormat = detectFormat(options.removed);

  const decider = await loadDecider(options);
  const scoresFiles = options.scoresFiles ?? [options.scores];
  const maxRemoved = options.maxRemoved ?? DEFAULT_MAX_REMOVED;
  if (!(maxRemoved > 0 && maxRemoved <= 1)) throw new UserError(`--max-removed ${maxRemoved}: give a share of rows in (0, 1], e.g. 0.5 or 50%`);
  // before any pass over the scores: scores made otherwise than the model's fail fast
  const scoring = await checkScoresProvenance(scoresFiles, decider.model ? (decider.model.provenance.scoring ?? null) : undefined, { scores: options.scores, model: options.model! }, options.allowMismatch);
  // a shard joined with its own score parts never reads the whole scores file: its merge hashes it once
  const scoresSha = options.scoresFiles && !options.evaluation ? '' : await sha256File(options.scores);
  // before the passes over the scores: another model's evaluation fails fast
  const evaluation = options.evaluation ? await checkedEvaluation(options.evaluation, options.model!, options.scores, scoresSha, idColumn) : undefined;
  if (options.thresholdFrom !== undefined && decider.rule) throw new UserError('--threshold-from goes with a risk model (--model), not with --rule');
  const index = await readRiskIndex(options.scoresFiles ?? options.scores, decider.scorer, idColumn);
  if (index.unscored === index.rows && !options.shard) {
    const what = decider.rule ? `the rule's columns (${decider.rule.columns.join(', ')})` : "the model's features";
    throw new UserError(`--scores ${options.scores}: every row is too short for ${what} (all ${index.rows} have them null); there is nothing to filter`);
  }
  const threshold: Threshold = !decider.model
    ? { value: RULE_HOLDS, method: 'rule', requested: null }
    : options.thresholdFrom
      ? await readThresholdFile(options.thresholdFrom, { ...options, model: options.model! })
      : chooseThreshold(options, decider.model, index.unscored ? index.risk.filter((r) => !Number.isNaN(r)) : index.risk);
  const profile = await profileScores(scoresFiles, decider, index, threshold.value, idColumn, options.profileUnits);
  const drift = decider.model ? driftOf(profile.counts.drift!, driftRanges(decider.model)) : null;
  const driftLine = driftWarning(drift);
  let removing = 0;
  for (let r = 0; r < index.rows; r++) if (index.risk[r] >= threshold.value) removing++;
  refuseRunaway(removing, index.rows, maxRemoved, [describeDrift(drift), describeTransfer(scoring)]);

  await mkdir(options.report, { recursive: true });
  const reportDir = options.report;
  // staged beside each output and renamed only once all are complete; a killed run's staged copies go first
  const staged = [options.clean, options.removed, join(reportDir, REPORT_FILE), join(reportDir, REMOVED_LIST_FILE)];
  for (const path of staged) await sweepStaged(path);
  const [cleanTemp, removedTemp, reportTemp, listTemp] = staged.map(stagedPathFor);
  const writers: { abort(): Promise<void> }[] = [];
  try {
    const clean = await openWriter(cleanTemp, { format: cleanFormat });
    writers.push(clean);
    const removed = await openWriter(removedTemp, { format: removedFormat });
    writers.push(removed);
    const list = await RemovedListWriter.create(listTemp);
    writers.push(list);
    const split = await splitCorpus(inputs, scoresFiles, index, threshold.value, idColumn, textColumn, { clean, removed, list }, profile.removedFeatures, options.shard, options.ledger, !options.profileUnits);
    await clean.close();
    await removed.close();
    await list.close();
    // once every input has been read: a bad-input error comes alone
    warnScoring(scoring, options);
    if (driftLine) warn({ code: 'drift', message: driftLine, option: '--scores', file: options.scores });

    const fileEntry = async (path: string, hashed = path): Promise<FileEntry> => ({ path: relativeTo(reportDir, path), sha256: await sha256File(hashed) });
    const rowsIn = split.kept + split.removed;
    const manifest: Manifest = {
      schema: MANIFEST_SCHEMA,
      tool: 'memsieve',
      tool_version: VERSION,
      created: new Date().toISOString(),
      command_line: options.commandLine ?? [],
      ...(decider.model
        ? {
            model: {
              ...(await fileEntry(options.model!)),
              schema: decider.model.schema,
              features: decider.model.features,
              roc_auc: decider.model.metrics.roc_auc,
              roc: thinCurve(decider.model),
              trained_on: await trainedOn(decider.model, options.scores, scoresSha, idColumn),
            },
          }
        : { rule: { text: decider.rule!.text, canonical: decider.rule!.canonical, columns: decider.rule!.columns } }),
      ...(evaluation ? { evaluation: { ...(await fileEntry(options.evaluation!)), ...evaluation } } : {}),
      threshold: { ...threshold, ...(decider.model ? { validation: operatingPoint(decider.model, threshold.value) } : {}) },
      id_column: idColumn,
      text_column: textColumn,
      fingerprint: { algorithm: FINGERPRINT_ALGORITHM, row_encoding: ROW_ENCODING, columns: split.columns },
      input: { files: await Promise.all(inputs.map((p) => fileEntry(p))), rows: rowsIn, fingerprint: split.inputFingerprint },
      scores: { files: options.scoresFiles ? await Promise.all(scoresFiles.map((p) => fileEntry(p))) : [{ path: relativeTo(reportDir, options.scores), sha256: scoresSha }], rows: index.rows },
      clean: { files: [await fileEntry(options.clean, cleanTemp)], rows: split.kept, fingerprint: split.cleanFingerprint },
      removed: { files: [await fileEntry(options.removed, removedTemp)], rows: split.removed, fingerprint: split.removedFingerprint },
      report: { path: REPORT_FILE, sha256: '' },
      summary: splitSummary(rowsIn, split.kept, split.removed, split.unscored),
      distributions: profileDistributions(profile.counts, ruleCutEdges(decider.rule?.canonical)),
      removed_rows: { ...(await fileEntry(join(reportDir, REMOVED_LIST_FILE), listTemp)), rows: list.rows },
      scoring,
      ...(decider.model ? { drift } : {}),
      max_removed: maxRemoved,
      warnings: [...scoring.warnings, ...(driftLine ? [driftLine] : [])],
    };
    const html = renderFilterReport(manifest, list.top.result());
    await writeFileAtomic(reportTemp, html);
    manifest.report.sha256 = await sha256File(reportTemp);

    // publish: drop a previous run's manifest first, so no manifest ever vouches for a mix of runs
    const manifestPath = join(reportDir, MANIFEST_FILE);
    await rm(manifestPath, { force: true });
    await renameWithSidecar(cleanTemp, options.clean);
    await renameWithSidecar(removedTemp, options.removed);
    const reportPath = join(reportDir, REPORT_FILE);
    await rename(reportTemp, reportPath);
    await rename(listTemp, join(reportDir, REMOVED_LIST_FILE));
    await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 1) + '\n');
    return { manifest, manifestPath, reportPath, profile: profile.counts };
  } catch (error) {
    for (const writer of writers) await writer.abort().catch(() => undefined);
    for (const temp of [cleanTemp, removedTemp, reportTemp, listTemp]) await rm(temp, { force: true });
    for (const temp of [cleanTemp, removedTemp]) await rm(metadataSidecarPath(temp), { force: true });
    throw error;
  }
}

/** With --rule a row's `risk` is 1 where the rule holds, 0 where not: removed when >= 1. */
const RULE_HOLDS = 1;

interface Decider {
  scorer: RowScorer;
  model?: RiskModel;
  rule?: Rule;
}

/** The model or the rule that decides, from exactly one of --model and --rule. */
async function loadDecider(options: FilterOptions): Promise<Decider> {
  if ((options.model === undefined) === (options.rule === undefined)) {
    throw new UserError(options.model === undefined ? 'give --model risk.json or --rule \'<rule>\'' : 'give --model or --rule, not both');
  }
  if (options.rule !== undefined) {
    const given = (['threshold', 'removeTop', 'targetRecall'] as const).filter((k) => options[k] !== undefined);
    if (given.length > 0) throw new UserError(`--rule decides each row itself; --${given[0].replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} applies to a model's risk`);
    if (options.evaluation !== undefined) throw new UserError('--evaluation describes a risk model; it does not apply to --rule');
    const rule = parseRule(options.rule);
    return { scorer: ruleScorer(rule), rule };
  }
  const model = await loadRiskModel(options.model!);
  return { scorer: modelScorer(model), model };
}

/**
 * Refuses, before anything is written, a split that removes more than `maxRemoved` of the rows: a model
 * applied to scores it was not made for can give every row a high risk. Exit 3, as a failed verdict.
 */
export function refuseRunaway(removed: number, rows: number, maxRemoved: number, reasons: (string | null)[]): void {
  if (rows === 0 || removed / rows <= maxRemoved) return;
  const percent = (x: number) => `${+(100 * x).toFixed(2)}%`;
  const why = reasons.filter((r): r is string => r !== null);
  throw new RefusedError(
    `would remove ${removed} of ${rows} rows (${percent(removed / rows)}), more than --max-removed ${percent(maxRemoved)}; nothing was written. ` +
      (why.length ? `${why.join('; ')}. ` : '') +
      `Check that the scores were made with the models and settings the risk model was trained on (docs/provenance.md); if this removal is meant, pass --max-removed ${percent(Math.min(1, Math.ceil((100 * removed) / rows) / 100))}`,
  );
}

/** Where the model was trained, from its provenance: this corpus when its scores are the ones filtered (the same file, or the same rows). */
async function trainedOn(model: RiskModel, scores: string, scoresSha: string, idColumn: string): Promise<TrainedOn | undefined> {
  const inputs = model.provenance?.inputs;
  if (!inputs?.scores || !inputs.labels) return undefined;
  const fingerprint = inputs.scores.rows_fingerprint;
  // paths as train recorded them (relative to where train ran): kept as written, not re-based
  return {
    scores: { path: inputs.scores.path, sha256: inputs.scores.sha256, ...(fingerprint ? { rows_fingerprint: fingerprint } : {}) },
    labels: { path: inputs.labels.path, sha256: inputs.labels.sha256 },
    // a shard joined with its own score parts (no hash here) is decided by its merge
    this_corpus: scoresSha !== '' && (await sameScoresRows(inputs.scores, scores, scoresSha, idColumn, '--scores')),
  };
}

/** --evaluation: must be of this model (by hash); records whether it was measured on these scores. */
async function checkedEvaluation(path: string, modelPath: string, scores: string, scoresSha: string, idColumn: string): Promise<Pick<NonNullable<Manifest['evaluation']>, 'of_these_scores' | 'result'>> {
  const result = await loadEvaluation(path);
  const modelSha = await sha256File(modelPath);
  if (result.model.sha256 !== modelSha) {
    throw new UserError(
      `--evaluation ${path} evaluates another model (${result.model.path}, sha256 ${result.model.sha256.slice(0, 12)}…), not --model ${modelPath} (sha256 ${modelSha.slice(0, 12)}…); ` +
        "run 'memsieve evaluate' with this model",
    );
  }
  // a shard joined with its own score parts (no hash here) is decided by its merge
  return { of_these_scores: scoresSha !== '' && (await sameScoresRows(result.scores, scores, scoresSha, idColumn, '--scores')), result };
}

/** The model's validation ROC, thinned to ~500 points for the report (the full curve stays in risk.json). */
function thinCurve(model: RiskModel): { fpr: number[]; tpr: number[] } {
  const { fpr, tpr } = model.roc;
  const step = Math.max(1, Math.floor(fpr.length / 500));
  const keep: number[] = [];
  for (let i = 0; i < fpr.length; i += step) keep.push(i);
  if (keep[keep.length - 1] !== fpr.length - 1) keep.push(fpr.length - 1);
  return { fpr: keep.map((i) => fpr[i]), tpr: keep.map((i) => tpr[i]) };
}

/** The validation ROC point of flagging risk >= t: the last curve point whose threshold is still >= t. */
function operatingPoint(model: RiskModel, t: number): { fpr: number; tpr: number } | undefined {
  const { fpr, tpr, thresholds } = model.roc;
  let at = -1;
  for (let i = 0; i < thresholds.length && thresholds[i] >= t; i++) at = i;
  return at < 0 ? undefined : { fpr: fpr[at], tpr: tpr[at] };
}

interface ScoresProfile {
  counts: FilterProfile;
  removedFeatures: RemovedFeatures;
}

/** Raw model features (or rule columns) of the rows to remove, by scores row: 4 bytes a row plus the removed rows' values. */
class RemovedFeatures {
  private readonly ordinal: Int32Array;
  private readonly names: string[];
  private values: Float64Array;
  private count = 0;

  constructor(
    rows: number,
    private readonly scorer: RowScorer,
  ) {
    this.names = scorer.columns;
    this.ordinal = new Int32Array(rows).fill(-1);
    this.values = new Float64Array(this.names.length * 1024);
  }

  add(row: number, features: Float64Array[], i: number): void {
    const d = this.names.length;
    if ((this.count + 1) * d > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    for (let j = 0; j < d; j++) this.values[this.count * d + j] = features[j][i];
    this.ordinal[row] = this.count++;
  }

  /** the row's features and their log-odds terms, or the rule's reason (empty for a row not profiled as removed) */
  get(row: number): Pick<RemovedRow, 'features' | 'log_odds' | 'reason'> {
    const k = this.ordinal[row];
    if (k < 0) return { features: {}, log_odds: {} };
    return this.scorer.explain(this.values.subarray(k * this.names.length, (k + 1) * this.names.length));
  }
}

/**
 * Second pass over the scores, now that the threshold is known: kept-vs-removed histograms (of the rows
 * in `units` only, so shards reading the whole scores file add up) and removed rows' features.
 */
async function profileScores(scores: string[], { scorer, model }: Decider, index: RiskIndex, threshold: number, idColumn: string, units?: Shard): Promise<ScoresProfile> {
  const source = `--scores ${scores.join(' ')}`;
  const drift = model ? new DriftCounter(model) : null;
  const riskHistogram = new SplitHistogramBuilder(fixedEdges(0, 1, RISK_BINS));
  const histograms = scorer.columns.map(() => new FineHistogramBuilder());
  const removedFeatures = new RemovedFeatures(index.rows, scorer);
  let row = 0;
  let unit = 0;
  // one batch per unit (row group) when read whole
  for await (const batch of openReader(scores, { option: '--scores', columns: scoresColumns(idColumn, scorer) })) {
    const counted = !units || unit++ % units.count === units.index;
    if (batch.numRows === 0) continue;
    const idVector = requireColumn(batch, idColumn, source, ID_HINT);
    const ids = Array.from({ length: batch.numRows }, (_, i) => idAt(idVector, i, source, row + i, idColumn));
    const features = scorer.read(batch, ids, source);
    // the same files as the first pass: row numbers are positions
    for (let i = 0; i < batch.numRows && row + i < index.rows; i++) {
      const at = row + i;
      const risk = index.risk[at];
      if (Number.isNaN(risk)) continue; // unscored: kept, in no histogram
      const removed = risk >= threshold;
      if (counted) {
        drift?.add(features, i);
        riskHistogram.add(risk, removed);
        for (let j = 0; j < features.length; j++) histograms[j].add(features[j][i], removed);
      }
      if (removed) removedFeatures.add(at, features, i);
    }
    row += batch.numRows;
  }
  if (row !== index.rows) throw new UserError(`${source} changed while filter was reading it (${index.rows} rows, then ${row}); run filter again`);
  return {
    counts: { risk: riskHistogram.result(), features: Object.fromEntries(scorer.columns.map((name, j) => [name, histograms[j].result()])), ...(drift ? { drift: drift.result() } : {}) },
    removedFeatures,
  };
}

interface SplitResult {
  columns: string[];
  kept: number;
  removed: number;
  /** kept rows too short to score (risk null) */
  unscored: number;
  inputFingerprint: string;
  cleanFingerprint: string;
  removedFingerprint: string;
}

interface SplitWriters {
  clean: BatchWriter;
  removed: BatchWriter;
  list: RemovedListWriter;
}

/** The corpus pass: every row to exactly one writer, with its risk appended, fingerprinted on the way. */
async function splitCorpus(
  inputs: string[],
  scores: string[],
  index: RiskIndex,
  threshold: number,
  idColumn: string,
  textColumn: string | null,
  { clean, removed, list }: SplitWriters,
  removedFeatures: RemovedFeatures,
  shard?: Shard,
  ledger?: ShardLedger,
  /** the scores hold exactly the rows of this corpus (shard): every scores row must be met */
  scoresExact = true,
): Promise<SplitResult> {
  const seen = new Uint8Array(index.rows);
  const input = new MultisetHash();
  const cleanHash = new MultisetHash();
  const removedHash = new MultisetHash();
  let hasher: RowHasher | null = null;
  let columns: string[] = [];
  let kept = 0;
  let dropped = 0;
  let unscored = 0;
  let row = 0;
  const source = inputs.length === 1 ? `--input ${inputs[0]}` : `--input ${inputs.join(' ')}`;
  for await (const batch of openReader(inputs, { option: '--input', shard })) {
    const names = batch.schema.fields.map((f) => f.name);
    if (!hasher) {
      columns = names;
      if (names.includes('risk')) throw new UserError(`${source} already has a column "risk"; rename or drop it before filtering`);
      if (textColumn !== null && !names.includes(textColumn)) throw missingColumnError({ subject: source, name: textColumn, file: inputs, seen: names, purpose: 'for --include-text', hint: 'pass --text-column' });
      hasher = new RowHasher(columns);
    } else if (names.join('\u0000') !== columns.join('\u0000')) {
      throw new UserError(`${source}: row ${row} starts a part with columns (${names.join(', ')}), earlier rows have (${columns.join(', ')}); give files of one schema`);
    }
    const idVector = requireColumn(batch, idColumn, source, ID_HINT);
    const n = batch.numRows;
    const risk = new Float64Array(n);
    const scoresRow = new Int32Array(n);
    const missing: string[] = [];
    let missingCount = 0;
    const ids = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const id = idAt(idVector, i, source, row + i, idColumn);
      ids[i] = id;
      const at = index.rowOf.get(id);
      if (at < 0) {
        if (missing.length < NAMED_IDS) missing.push(id);
        missingCount++;
        continue;
      }
      if (seen[at]) throw new UserError(`${source}: id ${id} appears twice (second time at row ${row + i}); ids must be unique`);
      seen[at] = 1;
      scoresRow[i] = at;
      risk[i] = index.risk[at];
    }
    if (missingCount > 0) {
      throw new UserError(`${source}: ${missingCount} id(s) from rows ${row}..${row + n - 1} have no scores (${missing.join(', ')}${missingCount > missing.length ? ', …' : ''}); score the whole corpus, or pass the scores made from this corpus`);
    }
    const digests = hasher.digests(batch, source);
    const textVector = textColumn === null ? null : batch.getChild(textColumn);
    for (let i = 0; i < n; i++) {
      input.add(digests[i]);
      if (risk[i] >= threshold) {
        removedHash.add(digests[i]);
        const entry: RemovedRow = { id: ids[i], risk: risk[i], row_sha256: digests[i].toString('hex'), ...removedFeatures.get(scoresRow[i]) };
        if (textVector) entry.text = (textVector.get(i) as string | null) ?? null;
        await list.add(entry);
        dropped++;
      } else {
        cleanHash.add(digests[i]);
        kept++;
        if (Number.isNaN(risk[i])) unscored++;
      }
    }
    const removedFlags = Uint8Array.from(risk, (r) => (r >= threshold ? 1 : 0));
    const withRisk = withColumns(batch, { risk: float64Column(risk) });
    const [keepPart, removePart] = splitRows(withRisk, removedFlags);
    // a zero-row slice still gives the writer the columns, so an output with no rows keeps them;
    // each output says which side it is, so a reader (verdict --removed) can tell D_clean from the removed rows
    await clean.write(withSchemaMetadata(keepPart ?? withRisk.slice(0, 0), { [FILTER_OUTPUT_KEY]: 'clean' }));
    await removed.write(withSchemaMetadata(removePart ?? withRisk.slice(0, 0), { [FILTER_OUTPUT_KEY]: 'removed' }));
    ledger?.add(n, { clean: keepPart?.numRows ?? 0, removed: removePart?.numRows ?? 0 });
    row += n;
  }
  if (!hasher) throw new UserError(`${source} has no rows`);
  const unseen: string[] = [];
  let unseenCount = 0;
  for (let r = 0; r < index.rows; r++) if (!seen[r]) unseenCount++;
  // a shard joined with the whole scores file sees only part of it; the merge checks the total
  if (unseenCount > 0 && (!shard || scoresExact)) {
    // the index keeps no ids: read the first few unseen ones back from the scores
    let at = 0;
    for await (const batch of openReader(scores, { option: '--scores', columns: [idColumn] })) {
      const ids = batch.getChild(idColumn)!;
      for (let i = 0; i < batch.numRows && unseen.length < NAMED_IDS; i++, at++) if (!seen[at]) unseen.push(String(ids.get(i)));
      if (unseen.length >= NAMED_IDS) break;
    }
    throw new UserError(`${scores.length > 1 || shard ? `the scores (${scores.join(', ')})` : 'the scores'} hold ${unseenCount} id(s) that are not in ${source} (${unseen.join(', ')}${unseenCount > unseen.length ? ', …' : ''}); pass the scores made from this corpus`);
  }
  const check = new MultisetHash();
  check.addHex(cleanHash.hex());
  check.addHex(removedHash.hex());
  if (check.hex() !== input.hex() || kept + dropped !== row) throw new Error('internal error: clean + removed rows do not add up to the input');
  return { columns, kept, removed: dropped, unscored, inputFingerprint: input.hex(), cleanFingerprint: cleanHash.hex(), removedFingerprint: removedHash.hex() };
}
