// The memorization drop as a verdict: two audits of students over the same rows (before and after
// filtering), joined by id, with where the rows still memorized lie and whether the criteria hold.
// Pure: read.ts reads the files and passes labels and id sets here.
import { REFUSED_EXIT_CODE, UserError } from '../errors.js';
import type { AuditLabels } from '../audit/overlap.js';
import { IdIndex } from '../id-index.js';
import { groupValues, requireGroupValues, type Binning, type GroupBinning, type GroupValue } from '../audit/groups.js';

export const VERDICT_SCHEMA = 'memsieve.verdict/v1';
/** exit status when a criterion is not met: distinct from bad input (2) and from a crash (1) */
export const VERDICT_FAILED_EXIT_CODE = REFUSED_EXIT_CODE;

import type { DistillRecord } from '../torch/distill-record.js';
import { describeAllowedMismatches, type Mismatch } from '../stage/provenance.js';

export type { DistillRecord };

export interface VerdictCriteria {
  /** the after student may memorize at most this many rows */
  maxAfter?: number;
  /** (before − after) / before must be at least this */
  minDrop?: number;
}

export interface VerdictInputs {
  before: AuditLabels;
  after: AuditLabels;
  /** ids the filter removed (the rest of the filter's input is D_clean) */
  /** `side`: what a filter output file says it is (schema metadata), when it says */
  removed?: { source: string; ids: IdIndex; rows: number; side?: string };
  teacher?: AuditLabels;
  baseline?: AuditLabels;
  beforeDistill?: DistillRecord;
  afterDistill?: DistillRecord;
  criteria: VerdictCriteria;
  /** --by: a column's value per id (read from --by-file, default --before), and how to group it */
  by?: { column: string; source: string; index: IdIndex; values: GroupValue[]; binning: Binning };
}

/** One subgroup's drop (verdict --by). */
export interface GroupDrop {
  group: string;
  rows: number;
  memorized: { before: number; after: number };
  drop: { rows: number; fraction: number | null };
}

export interface Verdict {
  schema: typeof VERDICT_SCHEMA;
  passed: boolean;
  /** one line per criterion not met */
  failures: string[];
  criteria: { max_after: number | null; min_drop: number | null };
  audits: { before: string; after: string };
  rows: {
    /** rows of each audit with a label (audits leave rows shorter than prefix + suffix unlabelled) */
    before: number;
    after: number;
    /** labelled in both: the rows the drop is measured on */
    compared: number;
    only_before: number;
    only_after: number;
  };
  /** over the compared rows */
  memorized: { before: number; after: number; both: number; before_only: number; after_only: number };
  drop: { rows: number; fraction: number | null };
  /** every row the after audit labels (the whole corpus when it audited the whole corpus) */
  after_all: {
    rows: number;
    memorized: number;
    /** with --removed: still memorized rows in D_clean (missed by the filter) and among the removed rows */
    in_clean?: { count: number; ids: string[] };
    in_removed?: { count: number; ids: string[] };
  };
  /** with --removed: of the rows the before student memorized (compared rows), how many the filter removed */
  removed?: { source: string; rows: number; before_memorized_removed: number };
  /** with teacher and baseline labels: teacher-only rows (teacher ∖ baseline) the students memorized */
  inherited?: { teacher_only: number; before: number; after: number; rows_without_teacher_baseline: number };
  /** with both distill records: the students' validation loss beside the drop */
  validation?: { before: DistillRecord; after: DistillRecord; val_loss_change: number };
  /** --by: the drop per subgroup of the compared rows */
  by?: { column: string; source: string; binning: GroupBinning; rows_without_value: number; rows_outside_bins: number; groups: GroupDrop[] };
  /** provenance fields the audits differ in, combined anyway because --allow-mismatch named them (docs/provenance.md) */
  allowed_mismatches?: Mismatch[];
}

function indexOf(audit: AuditLabels): IdIndex {
  if (audit.index) return audit.index;
  const index = new IdIndex();
  audit.ids.forEach((id, row) => index.add(id, row));
  return index;
}

/** label of `id` in `audit`, or null when the audit lacks the row or leaves it unlabelled */
function labelOf(audit: AuditLabels, index: IdIndex, id: string): boolean | null {
  const row = index.get(id);
  return row < 0 ? null : audit.labels[row];
}

export function judgeDrop(inputs: VerdictInputs): Verdict {
  const { before, after, removed, teacher, baseline, criteria } = inputs;
  const afterIndex = indexOf(after);
  const labelled = (audit: AuditLabels) => audit.labels.filter((l) => l !== null).length;

  const compared: string[] = [];
  const memorized = { before: 0, after: 0, both: 0, before_only: 0, after_only: 0 };
  let beforeMemorizedRemoved = 0;
  const teacherIndex = teacher && indexOf(teacher);
  const baselineIndex = baseline && indexOf(baseline);
  const inherited = { teacher_only: 0, before: 0, after: 0, rows_without_teacher_baseline: 0 };
  const pairs: [boolean, boolean][] = [];
  before.ids.forEach((id, row) => {
    const b = before.labels[row];
    const a = labelOf(after, afterIndex, id);
    if (b === null || a === null) return;
    compared.push(id);
    if (inputs.by) pairs.push([b, a]);
    memorized.before += Number(b);
    memorized.after += Number(a);
    if (b && a) memorized.both++;
    else if (b) memorized.before_only++;
    else if (a) memorized.after_only++;
    if (b && removed && removed.ids.get(id) >= 0) beforeMemorizedRemoved++;
    if (teacher && baseline) {
      const t = labelOf(teacher, teacherIndex!, id);
      const s = labelOf(baseline, baselineIndex!, id);
      if (t === null || s === null) inherited.rows_without_teacher_baseline++;
      else if (t && !s) {
        inherited.teacher_only++;
        inherited.before += Number(b);
        inherited.after += Number(a);
      }
    }
  });
  if (compared.length === 0) {
    throw new UserError(
      `--before ${before.path} and --after ${after.path} share no labelled row (first ids: ${before.ids.slice(0, 2).join(', ') || 'none'} / ${after.ids.slice(0, 2).join(', ') || 'none'}); ` +
        'audit both students on the same rows, and check --id-column',
    );
  }

  const stillMemorized = after.ids.filter((_, row) => after.labels[row] === true);
  const afterAll: Verdict['after_all'] = { rows: labelled(after), memorized: stillMemorized.length };
  if (removed) {
    if (removed.rows > 0 && !after.ids.some((id) => removed.ids.get(id) >= 0)) {
      throw new UserError(`--removed ${removed.source}: none of its ${removed.rows} removed rows is in --after ${after.path}; give the report of the filter that made this student's D_clean, and check --id-column`);
    }
    // a file that does not say which side it is (JSONL, or not a filter output): most rows removed is D_clean given by mistake
    const removedCompared = compared.filter((id) => removed.ids.get(id) >= 0).length;
    if (removed.side === undefined && removedCompared > compared.length / 2) {
      throw new UserError(
        `--removed ${removed.source}: ${removedCompared} of the ${compared.length} compared rows are in it (${((100 * removedCompared) / compared.length).toFixed(1)}%), more than a filter removes: is it D_clean? give the filter's --report folder, which knows which file is which`,
      );
    }
    const inRemoved = stillMemorized.filter((id) => removed.ids.get(id) >= 0);
    const inClean = stillMemorized.filter((id) => removed.ids.get(id) < 0);
    afterAll.in_clean = { count: inClean.length, ids: inClean };
    afterAll.in_removed = { count: inRemoved.length, ids: inRemoved };
  }

  const dropRows = memorized.before - memorized.after;
  const verdict: Verdict = {
    schema: VERDICT_SCHEMA,
    passed: true,
    failures: [],
    criteria: { max_after: criteria.maxAfter ?? null, min_drop: criteria.minDrop ?? null },
    audits: { before: before.path, after: after.path },
    rows: {
      before: labelled(before),
      after: labelled(after),
      compared: compared.length,
      only_before: labelled(before) - compared.length,
      only_after: labelled(after) - compared.length,
    },
    memorized,
    drop: { rows: dropRows, fraction: memorized.before === 0 ? null : dropRows / memorized.before },
    after_all: afterAll,
  };
  if (removed) verdict.removed = { source: removed.source, rows: removed.rows, before_memorized_removed: beforeMemorizedRemoved };
  if (teacher && baseline) verdict.inherited = inherited;
  if (inputs.beforeDistill && inputs.afterDistill) {
    verdict.validation = { before: inputs.beforeDistill, after: inputs.afterDistill, val_loss_change: inputs.afterDistill.val_loss - inputs.beforeDistill.val_loss };
  }

  if (inputs.by) verdict.by = dropsByGroup(inputs.by, compared, pairs);

  if (criteria.maxAfter !== undefined && afterAll.memorized > criteria.maxAfter) {
    verdict.failures.push(`the after student memorized ${afterAll.memorized} rows, more than --max-after ${criteria.maxAfter}`);
  }
  if (criteria.minDrop !== undefined) {
    const fraction = verdict.drop.fraction;
    if (fraction === null) verdict.failures.push(`the before student memorized none of the ${compared.length} compared rows: no drop to measure against --min-drop ${criteria.minDrop}`);
    else if (fraction < criteria.minDrop) verdict.failures.push(`memorization dropped by ${(100 * fraction).toFixed(1)}% (${memorized.before} → ${memorized.after}), less than --min-drop ${criteria.minDrop}`);
  }
  verdict.passed = verdict.failures.length === 0;
  return verdict;
}

function dropsByGroup(by: NonNullable<VerdictInputs['by']>, compared: string[], pairs: [boolean, boolean][]): NonNullable<Verdict['by']> {
  const values = compared.map((id) => {
    const row = by.index.get(id);
    return row < 0 ? null : by.values[row];
  });
  requireGroupValues(values, compared.length, by.column, by.source);
  const grouping = groupValues(values, by.binning, by.column);
  const groups: GroupDrop[] = grouping.labels.map((group) => ({ group, rows: 0, memorized: { before: 0, after: 0 }, drop: { rows: 0, fraction: null } }));
  pairs.forEach(([b, a], r) => {
    const g = grouping.groupOf[r];
    if (g < 0) return;
    groups[g].rows++;
    groups[g].memorized.before += Number(b);
    groups[g].memorized.after += Number(a);
  });
  for (const g of groups) {
    g.drop.rows = g.memorized.before - g.memorized.after;
    g.drop.fraction = g.memorized.before === 0 ? null : g.drop.rows / g.memorized.before;
  }
  return { column: by.column, source: by.source, binning: grouping.binning, rows_without_value: grouping.rows_without_value, rows_outside_bins: grouping.rows_outside_bins, groups };
}

/** A few lines for the terminal, ending with PASSED or FAILED. */
export function describeVerdict(v: Verdict): string {
  const pct = (x: number, n: number) => (n === 0 ? '0%' : `${((100 * x) / n).toFixed(2)}%`);
  const lines = [
    `compared ${v.rows.compared} rows labelled in both audits (only before: ${v.rows.only_before}, only after: ${v.rows.only_after})`,
    `memorized before: ${v.memorized.before} (${pct(v.memorized.before, v.rows.compared)}), after: ${v.memorized.after} (${pct(v.memorized.after, v.rows.compared)}); ` +
      `drop ${v.drop.rows} rows${v.drop.fraction === null ? '' : ` (${(100 * v.drop.fraction).toFixed(1)}%)`}; newly memorized after: ${v.memorized.after_only}`,
  ];
  if (v.rows.after !== v.rows.compared) lines.push(`after, all ${v.after_all.rows} rows it labels: ${v.after_all.memorized} memorized`);
  if (v.after_all.in_clean && v.after_all.in_removed && v.removed) {
    lines.push(`still memorized after: ${v.after_all.in_clean.count} in D_clean, ${v.after_all.in_removed.count} among the removed rows; the filter removed ${v.removed.before_memorized_removed} of the ${v.memorized.before} rows memorized before`);
  }
  if (v.inherited) lines.push(`teacher-only rows (${v.inherited.teacher_only}) inherited: before ${v.inherited.before}, after ${v.inherited.after}`);
  if (v.validation) {
    const { before, after } = v.validation;
    lines.push(`validation loss: before ${before.val_loss.toFixed(4)} (ppl ${before.val_ppl.toFixed(2)}), after ${after.val_loss.toFixed(4)} (ppl ${after.val_ppl.toFixed(2)}), change ${v.validation.val_loss_change >= 0 ? '+' : ''}${v.validation.val_loss_change.toFixed(4)}`);
  }
  if (v.by) {
    lines.push(`by ${v.by.column} (${v.by.binning.kind}; ${v.by.rows_without_value} compared rows without a value):`);
    for (const g of v.by.groups) {
      lines.push(`  ${v.by.column} ${g.group}: ${g.rows} rows; memorized before ${g.memorized.before}, after ${g.memorized.after}; drop ${g.drop.rows}${g.drop.fraction === null ? '' : ` (${(100 * g.drop.fraction).toFixed(1)}%)`}`);
    }
  }
  const allowed = describeAllowedMismatches(v.allowed_mismatches);
  if (allowed) lines.push(allowed);
  if (v.criteria.max_after === null && v.criteria.min_drop === null) lines.push('verdict: no criterion given (--max-after, --min-drop): reported only');
  else lines.push(v.passed ? 'verdict: PASSED' : `verdict: FAILED\n${v.failures.map((f) => `  ${f}`).join('\n')}`);
  return `${lines.join('\n')}\n`;
}
