// The files `memsieve verdict` reads: audits (or score files with teacher_memorized/baseline_memorized),
// the filter's removed rows (its report folder or removed file), and distill.json records.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAuditLabels, splitLabelColumn } from '../audit/compare.js';
import type { AuditLabels } from '../audit/overlap.js';
import { UserError } from '../errors.js';
import { FILTER_OUTPUT_KEY, loadManifest } from '../filter/manifest.js';
import { resolveFrom } from '../filter/paths.js';
import { readRemovedList } from '../filter/removed-list.js';
import { IdIndex } from '../id-index.js';
import { openReader } from '../io/index.js';
import { missingColumnError } from '../io/missing-column.js';
import { judgeDrop, type DistillRecord, type Verdict, type VerdictCriteria } from './verdict.js';

export interface VerdictOptions {
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

/** An audit's `memorized`, or a score file's `teacher_memorized` / `baseline_memorized`. */
async function readRoleLabels(role: 'teacher' | 'baseline', path: string, idColumn: string): Promise<AuditLabels> {
  const flag = `--${role} ${path}`;
  for await (const batch of openReader(path, { option: `--${role}` })) {
    const names = batch.schema.fields.map((f) => f.name);
    const column = names.includes('memorized') ? 'memorized' : names.includes(`${role}_memorized`) ? `${role}_memorized` : undefined;
    if (!column) throw new UserError(`${flag}: neither 'memorized' (an audit) nor '${role}_memorized' (a score file) is a column (columns: ${names.join(', ')})`);
    return readAuditLabels(role, path, idColumn, column, flag);
  }
  throw new UserError(`${flag}: no rows`);
}

/** The last epoch of a distill run: its output folder or its distill.json; it must have a validation loss. */
export async function readDistillRecord(flag: string, path: string): Promise<DistillRecord> {
  const file = statSync(path, { throwIfNoEntry: false })?.isDirectory() ? join(path, 'distill.json') : path;
  let raw: { mode?: string; history?: Array<{ epoch: number; train_loss: number; val_loss?: number; val_ppl?: number }> };
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${flag} ${path}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give a \`memsieve distill\` output folder`);
  }
  const last = Array.isArray(raw.history) ? raw.history[raw.history.length - 1] : undefined;
  if (!last) throw new UserError(`${flag} ${path}: ${file} has no epochs; is it a \`memsieve distill\` output?`);
  if (typeof last.val_loss !== 'number') throw new UserError(`${flag} ${path}: this student was distilled without --validation, so it has no validation loss; distill with --validation, or leave ${flag} out`);
  return { path, mode: raw.mode ?? null, epochs: last.epoch, train_loss: last.train_loss, val_loss: last.val_loss, val_ppl: last.val_ppl ?? Math.exp(last.val_loss) };
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
  const [before, after] = await Promise.all(
    (['before', 'after'] as const).map((role) => {
      const { path, column } = splitLabelColumn(options[role], labelColumn);
      return readAuditLabels(role, path, idColumn, column, `--${role} ${path}`);
    }),
  );
  return judgeDrop({
    before,
    after,
    criteria,
    removed: options.removed === undefined ? undefined : await readRemovedIds(options.removed, idColumn),
    teacher: options.teacher === undefined ? undefined : await readRoleLabels('teacher', options.teacher, idColumn),
    baseline: options.baseline === undefined ? undefined : await readRoleLabels('baseline', options.baseline, idColumn),
    beforeDistill: options.beforeDistill === undefined ? undefined : await readDistillRecord('--before-distill', options.beforeDistill),
    afterDistill: options.afterDistill === undefined ? undefined : await readDistillRecord('--after-distill', options.afterDistill),
  });
}
