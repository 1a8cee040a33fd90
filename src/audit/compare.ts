// `memsieve compare`: stream the id and label columns of several audits (or of score's memorization
// columns) into an OverlapJoin, write the counts and rates (overlap.json), the ids of every set
// (--sets, one row per memorized id, streamed from a second pass over the first audit) and the figure.
import { Bool, Float64, Table, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { UserError } from '../errors.js';
import { missingColumnError } from '../io/missing-column.js';
import { checkOutputFolder, openReader, openWriter, refuseOverwrite, writeFileAtomic } from '../io/index.js';
import type { BatchWriter } from '../io/types.js';
import { renderGroupsSvg, renderOverlapSvg, stackSvgs } from './figure.js';
import { IdIndex } from '../id-index.js';
import { auditNameWarnings, checkAuditNames, OverlapJoin, overlapByGroup, overlapReport, patternKey, type AuditLabels, type OverlapCounts, type OverlapGroups, type OverlapReport } from './overlap.js';
import { warn, withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';
import { groupValues, parseBinning, requireGroupValues, toGroupValue, type Binning, type GroupValue } from './groups.js';
import { groupColumnBatches } from './group-column.js';
import { distillRecordFile, readDistillRecord, type DistillRecord } from '../torch/distill-record.js';
import { checkAuditsAlike, describeAllowedMismatches, warnAlike, type AlikeCheck, type GuardedField } from '../stage/provenance.js';

export interface CompareOptions extends WarningOptions {
  /** "name=path" or "name=path:column" (a column of that file, e.g. score's teacher_memorized) */
  audits: string[];
  output: string;
  /** Parquet (or Arrow/JSONL) file for the ids of the sets: one row per compared id memorized by any model */
  sets?: string;
  figure?: string;
  idColumn?: string;
  /** label column of audits given without ":column" */
  labelColumn?: string;
  /** also every count per subgroup of rows by this column (of `byFile`, default the first audit) */
  by?: string;
  byFile?: string;
  /** auto (default), categorical, quantile:N or rising edges "1,2,4" (groups.ts) */
  bins?: string;
  /** "name=DIR": the distill output of audited student `name`; its validation loss goes beside its memorization */
  distill?: string[];
  /** provenance fields the audits may differ in (--allow-mismatch) */
  allowMismatch?: GuardedField[];
}

/** One --audit: a role name, a file, and the label column read from it. */
export interface AuditSource {
  name: string;
  path: string;
  column: string;
}

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Splits `name=path[:column]`. The text after the last ":" is a column when it is a plain identifier
 * (`scores.parquet:teacher_memorized`); otherwise the whole rest is the path and the column is `defaultColumn`.
 */
export function parseAuditArgument(value: string, defaultColumn = 'memorized'): AuditSource {
  const { name, path } = splitNamedArgument(value, '--audit', 'name=path or name=path:column, e.g. --audit teacher=teacher.audit.parquet or --audit teacher=scores.parquet:teacher_memorized');
  return { name, ...splitLabelColumn(path, defaultColumn) };
}

/** `name=VALUE` (--audit, --distill, counterfactual's --trained-on), refused naming the flag and the form it `expects`. */
export function splitNamedArgument(value: string, flag: string, expects: string): { name: string; path: string } {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1) throw new UserError(`${flag} ${value}: expected ${expects}`);
  return { name: value.slice(0, at), path: value.slice(at + 1) };
}

/** `path[:column]` (compare's --audit after `name=`, verdict's --before and --after): the column when a plain identifier follows the last ":". */
export function splitLabelColumn(value: string, defaultColumn: string): { path: string; column: string } {
  const colon = value.lastIndexOf(':');
  if (colon > 0 && COLUMN.test(value.slice(colon + 1))) return { path: value.slice(0, colon), column: value.slice(colon + 1) };
  return { path: value, column: defaultColumn };
}

/**
 * The parsed --audit values, checked: names, output folders, no output written over an input, and the
 * audits made alike (provenance; `alike` holds what was allowed and the warning to say once they are read).
 */
export async function compareSources(options: CompareOptions): Promise<{ sources: AuditSource[]; alike: AlikeCheck }> {
  const sources = options.audits.map((a) => parseAuditArgument(a, options.labelColumn ?? 'memorized'));
  await refuseOverwrite(
    { '--output': options.output, '--sets': options.sets, '--figure': options.figure },
    { '--audit': sources.map((s) => s.path), '--by-file': options.byFile, '--distill': options.distill?.map((d) => distillRecordFile(parseDistillArgument(d).path)) },
  );
  checkAuditNames(sources);
  const idColumn = options.idColumn ?? 'id';
  const clash = sources.find((s) => s.name === idColumn);
  if (clash && options.sets) throw new UserError(`--audit ${clash.name}: the sets file has an id column "${idColumn}"; name the audit otherwise`);
  for (const out of [options.output, options.sets, options.figure]) if (out) await checkOutputFolder(out); // fail before the work, not after
  const alike = await checkAuditsAlike(sources.map((s) => ({ name: `--audit ${s.name}=${s.path}`, path: s.path, column: s.column })), options.allowMismatch);
  return { sources, alike };
}

function toLabel(value: unknown, where: () => string, column: string): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if ((typeof value === 'number' || typeof value === 'bigint') && (value == 0 || value == 1)) return value == 1;
  throw new UserError(`${where()}: '${column}' is ${String(value)}; labels must be true/false or 1/0`);
}

/** Every row of one audit as (id, label, row), batch by batch; only the two columns are read. */
async function* auditRows(
  source: AuditSource,
  idColumn: string,
  label = `--audit ${source.name}=${source.path}`,
): AsyncGenerator<{ ids: string[]; labels: (boolean | null)[]; firstRow: number }> {
  let row = 0;
  const option = label.split(' ')[0];
  // the syntax that names a label column on this very option
  const labelSyntax = option === '--audit' ? `--audit ${source.name}=${source.path}:COLUMN` : `${option} ${source.path}:COLUMN`;
  for await (const batch of openReader(source.path, { option, columns: [idColumn, source.column] })) {
    const seen = batch.schema.fields.map((f) => f.name);
    const idVector = batch.getChild(idColumn);
    if (!idVector) throw missingColumnError({ subject: label, name: idColumn, file: source.path, seen, purpose: 'for ids', hint: 'choose one with --id-column' });
    const labelVector = batch.getChild(source.column);
    if (!labelVector) {
      throw missingColumnError({ subject: label, name: source.column, file: source.path, seen, purpose: 'for labels', hint: `is it a \`memsieve audit\` output? choose one with --label-column, or name it: ${labelSyntax}` });
    }
    const ids = new Array<string>(batch.numRows);
    const labels = new Array<boolean | null>(batch.numRows);
    for (let i = 0; i < batch.numRows; i++) {
      const rawId = idVector.get(i);
      if (rawId === null || rawId === undefined) throw new UserError(`${label}: row ${row + i} has a null id in '${idColumn}'`);
      ids[i] = String(rawId);
      labels[i] = toLabel(labelVector.get(i), () => `${label}: row ${row + i} (id ${ids[i]})`, source.column);
    }
    yield { ids, labels, firstRow: row };
    row += batch.numRows;
  }
}

/**
 * Every row of one label file in memory, with its id index (verdict's reader; compare streams instead).
 * `flag` names the option in errors (default `--audit name=path`).
 */
export async function readAuditLabels(name: string, path: string, idColumn = 'id', labelColumn = 'memorized', flag = `--audit ${name}=${path}`): Promise<AuditLabels> {
  const ids: string[] = [];
  const labels: (boolean | null)[] = [];
  const index = new IdIndex(); // not a Map: no 2^24-entry limit
  for await (const batch of auditRows({ name, path, column: labelColumn }, idColumn, flag)) {
    for (let i = 0; i < batch.ids.length; i++) {
      const row = batch.firstRow + i;
      const first = index.add(batch.ids[i], row);
      if (first >= 0) throw new UserError(`${flag}: id '${batch.ids[i]}' appears twice (rows ${first} and ${row}); ids must be unique to join audits`);
      ids.push(batch.ids[i]);
      labels.push(batch.labels[i]);
    }
  }
  return { name, path, ids, labels, index };
}

/** Streams every audit into a join; `owns` keeps a shard's ids. */
export async function joinAuditFiles(sources: AuditSource[], idColumn: string, owns?: (id: string) => boolean): Promise<OverlapJoin> {
  const join = new OverlapJoin(sources, owns);
  for (const [a, source] of sources.entries()) {
    for await (const { ids, labels, firstRow } of auditRows(source, idColumn)) {
      for (let i = 0; i < ids.length; i++) join.add(a, ids[i], labels[i], firstRow + i);
    }
  }
  return join;
}

/** Parts of a sharded run carry the first audit's row number, by which the merge restores its order. */
export const ROW_COLUMN = '_row';

/** The sets file, written in batches: one row per id with its membership (and, in a shard's part, its row). */
export class SetsWriter {
  private ids: string[] = [];
  private masks: number[] = [];
  private rows: number[] = [];

  private constructor(
    private readonly writer: BatchWriter,
    private readonly names: string[],
    private readonly idColumn: string,
    private readonly withRow: boolean,
  ) {}

  static async open(path: string, names: string[], idColumn: string, withRow = false): Promise<SetsWriter> {
    return new SetsWriter(await openWriter(path), names, idColumn, withRow);
  }

  async add(id: string, mask: number, row = 0): Promise<void> {
    this.ids.push(id);
    this.masks.push(mask);
    this.rows.push(row);
    if (this.ids.length >= 65_536) await this.flush();
  }

  /** Publishes the file (with the columns even when no row was added); returns the rows written. */
  async close(): Promise<number> {
    await this.flush(this.writer.rowsWritten === 0);
    await this.writer.close();
    return this.writer.rowsWritten;
  }

  abort(): Promise<void> {
    return this.writer.abort();
  }

  private async flush(evenEmpty = false): Promise<void> {
    if (this.ids.length === 0 && !evenEmpty) return;
    const columns: Record<string, Vector> = { [this.idColumn]: vectorFromArray(this.ids, new Utf8()) };
    this.names.forEach((name, a) => (columns[name] = vectorFromArray(this.masks.map((m) => (m & (1 << a)) !== 0), new Bool())));
    columns.pattern = vectorFromArray(this.masks.map((m) => patternKey(this.names, m)), new Utf8());
    if (this.withRow) columns[ROW_COLUMN] = vectorFromArray(this.rows, new Float64());
    await this.writer.write(new Table(columns));
    this.ids = [];
    this.masks = [];
    this.rows = [];
  }
}

/**
 * Writes one row per compared id memorized by at least one model, in the first audit's order: the id,
 * a boolean per audit, and the pattern ("teacher+baseline"). A second pass over the first audit gives
 * the ids, so none are held in memory. Returns the rows written.
 */
export async function writeSets(join: OverlapJoin, sources: AuditSource[], idColumn: string, path: string, options: { owns?: (id: string) => boolean; withRow?: boolean } = {}): Promise<number> {
  const sets = await SetsWriter.open(path, sources.map((s) => s.name), idColumn, options.withRow);
  const changed = () => new UserError(`--audit ${sources[0].name}=${sources[0].path} changed while compare was reading it; run compare again`);
  try {
    let k = 0;
    for await (const batch of auditRows(sources[0], idColumn)) {
      for (let i = 0; i < batch.ids.length; i++) {
        if (options.owns && !options.owns(batch.ids[i])) continue;
        if (k >= join.ownedRows) throw changed();
        const mask = join.membership(k++);
        if (mask > 0) await sets.add(batch.ids[i], mask, batch.firstRow + i);
      }
    }
    if (k !== join.ownedRows) throw changed();
    return await sets.close();
  } catch (error) {
    await sets.abort();
    throw error;
  }
}

/** Read every audit, compute the overlap sets, write them (and the figure); nothing is written on error. */
export function compareAuditFiles(options: CompareOptions): Promise<Warned<OverlapReport>> {
  return withWarnings(options, () => compareOverlaps(options));
}

async function compareOverlaps(options: CompareOptions): Promise<OverlapReport> {
  const { sources, alike } = await compareSources(options);
  const idColumn = options.idColumn ?? 'id';
  const join = await joinAuditFiles(sources, idColumn);
  const counts = join.counts();
  const report = overlapReport(counts);
  if (alike.allowed_mismatches.length > 0) report.allowed_mismatches = alike.allowed_mismatches;
  if (options.by) report.by = await groupOverlaps(join, counts, options.by, options.byFile ?? sources[0].path, idColumn, parseBinning(options.bins ?? 'auto'), options.byFile ? '--by-file' : `--audit ${sources[0].name}=${sources[0].path}`);
  if (options.distill) report.validation = await readStudentDistills(options.distill, sources);
  if (options.sets) report.sets = { path: options.sets, rows: await writeSets(join, sources, idColumn, options.sets) };
  await writeOverlapOutputs(report, options);
  // once every input is read: a bad-input error comes alone
  warnAlike(alike);
  warnRoles(sources);
  return report;
}

/** Said once the report is made, beside it: a failing run needs no warning about its output. */
export function warnRoles(sources: { name: string }[]): void {
  for (const message of auditNameWarnings(sources.map((s) => s.name))) warn({ code: 'compare-roles', message, option: '--audit' });
}

/** Options --by, --by-file, --bins and --distill checked before any audit is read. */
export function checkGroupOptions(options: Pick<CompareOptions, 'by' | 'byFile' | 'bins' | 'distill'>): void {
  if (options.by === undefined && (options.byFile !== undefined || options.bins !== undefined)) throw new UserError('--by-file and --bins group rows: give --by COLUMN too');
  if (options.bins !== undefined) parseBinning(options.bins);
  for (const d of options.distill ?? []) parseDistillArgument(d);
}

export function parseDistillArgument(value: string): { name: string; path: string } {
  return splitNamedArgument(value, '--distill', 'name=DIR, the distill output folder of an audited student, e.g. --distill student=student/');
}

/** --distill name=DIR: each named student's validation loss (its distill.json), for audits compared here. */
async function readStudentDistills(values: string[], sources: AuditSource[]): Promise<Record<string, DistillRecord>> {
  const records: Record<string, DistillRecord> = {};
  for (const value of values) {
    const { name, path } = parseDistillArgument(value);
    if (!sources.some((s) => s.name === name)) throw new UserError(`--distill ${value}: no --audit is named ${name}; name the student as its audit is named`);
    records[name] = await readDistillRecord(`--distill ${name}=`, path);
  }
  return records;
}

/**
 * --by: read COLUMN of `file` by id, group the compared rows (groups.ts), and count every set per group.
 * Holds one value and one membership per compared row.
 */
async function groupOverlaps(join: OverlapJoin, counts: OverlapCounts, column: string, file: string, idColumn: string, binning: Binning, subject: string): Promise<OverlapGroups> {
  const values: GroupValue[] = [];
  const masks: number[] = [];
  const seen = new Set<number>();
  let row = 0;
  const hint = 'the first --audit passes the corpus columns through; or name a file with the column: --by-file';
  for await (const batch of groupColumnBatches(file, column, idColumn, { option: subject.split(' ')[0], subject, hint })) {
    for (let i = 0; i < batch.numRows; i++, row++) {
      const k = join.rowOf(String(batch.ids.get(i)));
      if (k < 0) continue;
      const mask = join.membership(k);
      if (mask < 0 || seen.has(k)) continue; // not compared; a duplicate id in the --by file counts once
      seen.add(k);
      masks.push(mask);
      values.push(toGroupValue(batch.values.get(i), () => `--by ${column}: ${file} row ${row}`));
    }
  }
  requireGroupValues(values, counts.rows_compared, column, file);
  const grouping = groupValues(values, binning, column);
  const result = overlapByGroup(counts, masks, grouping, column, file);
  // compared rows the file lacks count as without a value
  result.rows_without_value += counts.rows_compared - masks.length;
  return result;
}

/** overlap.json and the figure. */
export async function writeOverlapOutputs(report: OverlapReport, options: { output: string; figure?: string }): Promise<void> {
  const figure = options.figure ? (report.by ? stackSvgs([renderOverlapSvg(report), renderGroupsSvg(report.by, Object.keys(report.memorized))]) : renderOverlapSvg(report)) : undefined;
  await writeFileAtomic(options.output, `${JSON.stringify(report, null, 1)}\n`);
  if (options.figure && figure) await writeFileAtomic(options.figure, figure);
}

/** By subgroup: one line per group with each model's memorized rows and rate, inherited rows, hard − soft. */
export function describeGroups(by: OverlapGroups, names: string[]): string[] {
  const how = by.binning.kind === 'categorical' ? 'categories' : `${by.binning.kind} bins`;
  const lines = [`by ${by.column} (${how}; ${by.rows_without_value} compared rows without a value${by.rows_outside_bins ? `, ${by.rows_outside_bins} outside the bins` : ''}):`];
  for (const g of by.groups) {
    const parts = names.map((name) => (g.memorized[name] ? `${name} ${g.memorized[name].count} (${(100 * g.memorized[name].rate).toFixed(1)}%)` : `${name} 0`));
    for (const [name, s] of Object.entries(g.students)) if (s.inherited) parts.push(`${name} inherited ${s.inherited.count}`);
    if (g.hard_minus_soft) parts.push(`hard − soft ${g.hard_minus_soft.memorized >= 0 ? '+' : ''}${g.hard_minus_soft.memorized} rows`);
    lines.push(`  ${by.column} ${g.group}: ${g.rows_compared} rows; ${parts.join(', ')}`);
  }
  return lines;
}

/** One line per model and per set, for the terminal. */
export function describeOverlap(report: OverlapReport): string {
  const lines = [`compared ${report.rows_compared} rows (excluded: ${report.excluded.null_in_some_audit} null, ${report.excluded.not_in_every_audit} not in every audit)`];
  for (const [name, set] of Object.entries(report.memorized)) lines.push(`memorized by ${name}: ${set.count} (${(100 * set.rate).toFixed(2)}%)`);
  if (report.easy_to_memorize) lines.push(`easy_to_memorize (teacher ∩ baseline): ${report.easy_to_memorize.count}`);
  for (const [name, s] of Object.entries(report.students)) {
    const parts = [`${name}: student_only ${s.student_only.count}`];
    if (s.inherited) parts.push(`inherited ${s.inherited.count}`);
    if (s.easy_share !== undefined && s.easy_share !== null) parts.push(`easy share ${(100 * s.easy_share).toFixed(1)}%`);
    lines.push(parts.join(', '));
  }
  if (report.soft_and_hard) lines.push(`soft ∩ hard: ${report.soft_and_hard.count}`);
  if (report.validation) {
    for (const [name, v] of Object.entries(report.validation)) lines.push(`${name}: validation loss ${v.val_loss.toFixed(4)} (ppl ${v.val_ppl.toFixed(2)}) beside its memorization rate ${(100 * report.memorized[name].rate).toFixed(2)}%`);
  }
  if (report.by) lines.push(...describeGroups(report.by, Object.keys(report.memorized)));
  const allowed = describeAllowedMismatches(report.allowed_mismatches);
  if (allowed) lines.push(allowed);
  if (report.sets) lines.push(`ids of every set: ${report.sets.path} (${report.sets.rows} rows)`);
  return `${lines.join('\n')}\n`;
}
