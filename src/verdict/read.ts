// The files `memsieve verdict` reads: audits (or score files with teacher_memorized/baseline_memorized),
// the filter's removed rows (its report folder or removed file), and distill.json records.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readAuditLabels, splitLabelColumn } from '../audit/compare.js';
import { UserError } from '../errors.js';
import { FILTER_OUTPUT_KEY, loadManifest } from '../filter/manifest.js';
import { resolveFrom } from '../filter/paths.js';
import { readRemovedList } from '../filter/removed-list.js';
import { IdIndex } from '../id-index.js';
import { openReader } from '../io/index.js';
import { missingColumnError } from '../io/missing-column.js';
import { parseBinning, toGroupValue, type Binning, type GroupValue } from '../audit/groups.js';
import { groupColumnBatches } from '../audit/group-column.js';
import { judgeDrop, type Verdict, type VerdictCriteria } from './verdict.js';
import { readDistillRecord } from '../torch/distill-record.js';
import type { WarningOptions } from '../stage/warnings.js';
import { checkAuditsAlike, warnAlike, type GuardedField } from '../stage/provenance.js';

export { readDistillRecord };

export interface VerdictOptions extends WarningOptions {
  before: string;
  after: string;
  output: string;
  removed?: string;
  teacher?: string;
  baseline?: string;
  beforeDistill?: string;
  afterDistill?: string;
  maxAfter?: number;
  minDrop?: number;
  idColumn?: string;
  labelColumn?: string;
  /** the drop per subgroup by this column (of byFile, default --before) */
  by?: string;
  byFile?: string;
  bins?: string;
  /** provenance fields the audits may differ in (--allow-mismatch) */
  allowMismatch?: GuardedField[];
}

/** Ids of the removed rows: a filter report folder (its removed-rows list) or a removed data file. */
export async function readRemovedIds(path: string, idColumn: string): Promise<{ source: string; ids: IdIndex; rows: number; side?: string }> {
  const ids = new IdIndex();
  let rows = 0;
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) throw new UserError(`--removed ${path}: no such file or folder; give the filter's --report folder or its --removed file`);
  const isFolder = stats.isDirectory();
  if (isFolder) {
    const manifest = await loadManifest(join(path, 'manifest.json'));
    for await (const row of readRemovedList(resolveFrom(path, manifest.removed_rows.path))) ids.add(row.id, rows++);
    return { source: path, ids, rows };
  }
  const reader = openReader(path, { option: '--removed', columns: [idColumn] });
  let side: string | undefined;
  for await (const batch of reader) {
    side ??= batch.schema.metadata.get(FILTER_OUTPUT_KEY) ?? '';
    if (side === 'clean') {
      throw new UserError(`--removed ${path} is the filter's D_clean (the rows it kept), not its removed rows; give the filter's --removed file or its --report folder`);
    }
    const vector = batch.getChild(idColumn);
    if (!vector) throw missingColumnError({ subject: `--removed ${path}`, name: idColumn, file: path, seen: batch.schema.fields.map((f) => f.name), purpose: 'for ids', hint: "give the filter's --removed file or its --report folder, and check --id-column" });
    for (let i = 0; i < batch.numRows; i++) {
      const id = vector.get(i);
      if (id === null || id === undefined) throw new UserError(`--removed ${path}: row ${rows} has a null id in '${idColumn}'`);
      ids.add(String(id), rows++);
    }
  }
  return { source: path, ids, rows, side: side || undefined };
}

/** Which column holds a role's labels: an audit's `memorized`, or a score file's `teacher_memorized` / `baseline_memorized`. */
async function roleColumn(role: 'teacher' | 'baseline', path: string): Promise<string> {
  const flag = `--${role} ${path}`;
  for await (const batch of openReader(path, { option: `--${role}` })) {
    const names = batch.schema.fields.map((f) => f.name);
    const column = names.includes('memorized') ? 'memorized' : names.includes(`${role}_memorized`) ? `${role}_memorized` : undefined;
    if (!column) throw new UserError(`${flag}: neither 'memorized' (an audit) nor '${role}_memorized' (a score file) is a column (columns: ${names.join(', ')})`);
    return column;
  }
  throw new UserError(`${flag}: no rows`);
}


/** The --by column of `path` by id (verdict holds its audits in memory too). */
async function readGroupColumn(column: string, path: string, idColumn: string, option: string, binning: Binning): Promise<NonNullable<Parameters<typeof judgeDrop>[0]['by']>> {
  const index = new IdIndex();
  const values: GroupValue[] = [];
  const hint = 'or name a file with the column: --by-file';
  for await (const batch of groupColumnBatches(path, column, idColumn, { option, subject: `${option} ${path}`, hint })) {
    for (let i = 0; i < batch.numRows; i++) {
      if (index.add(String(batch.ids.get(i)), values.length) >= 0) continue; // the first row of a duplicated id counts
      values.push(toGroupValue(batch.values.get(i), () => `--by ${column}: ${path} row ${values.length}`));
    }
  }
  return { column, source: path, index, values, binning };
}

/** Reads every input, judges, and returns the verdict (the caller writes it). */
export async function verdictFromFiles(options: VerdictOptions): Promise<Verdict> {
  const idColumn = options.idColumn ?? 'id';
  const labelColumn = options.labelColumn ?? 'memorized';
  if ((options.teacher === undefined) !== (options.baseline === undefined)) {
    throw new UserError('--teacher and --baseline go together: teacher-only rows are those the teacher memorized and the baseline did not');
  }
  if ((options.beforeDistill === undefined) !== (options.afterDistill === undefined)) {
    throw new UserError('--before-distill and --after-distill go together: the validation loss of both students is compared');
  }
  const criteria: VerdictCriteria = { maxAfter: options.maxAfter, minDrop: options.minDrop };
  // every label file, by role: the students' audits, and the teacher's and baseline's when given
  const sources: { role: 'before' | 'after' | 'teacher' | 'baseline'; path: string; column: string }[] = (['before', 'after'] as const).map((role) => ({ role, ...splitLabelColumn(options[role], labelColumn) }));
  for (const role of ['teacher', 'baseline'] as const) {
    const path = options[role];
    if (path !== undefined) sources.push({ role, path, column: await roleColumn(role, path) });
  }
  const alike = await checkAuditsAlike(sources.map((s) => ({ name: `--${s.role} ${s.path}`, path: s.path, column: s.column })), options.allowMismatch);
  const labels = Object.fromEntries(await Promise.all(sources.map(async (s) => [s.role, await readAuditLabels(s.role, s.path, idColumn, s.column, `--${s.role} ${s.path}`)] as const)));
  const verdict = judgeDrop({
    before: labels.before,
    after: labels.after,
    criteria,
    removed: options.removed === undefined ? undefined : await readRemovedIds(options.removed, idColumn),
    teacher: labels.teacher,
    baseline: labels.baseline,
    beforeDistill: options.beforeDistill === undefined ? undefined : await readDistillRecord('--before-distill', options.beforeDistill),
    afterDistill: options.afterDistill === undefined ? undefined : await readDistillRecord('--after-distill', options.afterDistill),
    by: options.by === undefined ? undefined : await readGroupColumn(options.by, options.byFile ?? splitLabelColumn(options.before, labelColumn).path, idColumn, options.byFile ? '--by-file' : '--before', parseBinning(options.bins ?? 'auto')),
  });
  // once every input is read: a bad-input error comes alone
  warnAlike(alike);
  if (alike.allowed_mismatches.length > 0) verdict.allowed_mismatches = alike.allowed_mismatches;
  return verdict;
}
