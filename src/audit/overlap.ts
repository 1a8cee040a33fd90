// Overlap of memorization across models (the paper's sets), from per-model labels joined by id.
// Pure: callers read the audits (compare.ts) and pass ids and labels here.
import { UserError } from '../errors.js';
import { IdIndex } from '../id-index.js';

/** One audit's labels: `memorized` per row (null = not audited, e.g. too short), keyed by id. */
export interface AuditLabels {
  /** role name given on the command line: teacher, baseline, student, student_hard, … */
  name: string;
  path: string;
  ids: string[];
  labels: (boolean | null)[];
  /** id → row of `ids`, when the reader already built it (readAuditLabels does, checking duplicates) */
  index?: IdIndex;
}

/** A set of examples: how many, their share of the compared rows, and which. */
export interface IdSet {
  count: number;
  rate: number;
  ids: string[];
}

/** Sets that concern one student model (every audit whose name starts with "student"). */
export interface StudentOverlap {
  /** student ∩ teacher ∩ baseline (with teacher and baseline audits) */
  easy_to_memorize?: IdSet;
  /** teacher ∩ student ∖ baseline: memorization the student got from the teacher */
  inherited?: IdSet;
  /** student ∖ (teacher ∪ baseline, those given) */
  student_only: IdSet;
  /** |student ∩ easy_to_memorize| / |student| (null when the student memorized nothing) */
  easy_share?: number | null;
}

export interface OverlapReport {
  audits: Record<string, { path: string; rows: number; null_rows: number; rows_not_in_every_audit: number }>;
  /** rows present in every audit with a label in every audit: the denominator of every rate */
  rows_compared: number;
  excluded: { null_in_some_audit: number; not_in_every_audit: number };
  memorized: Record<string, IdSet>;
  /** teacher ∩ baseline */
  easy_to_memorize?: IdSet;
  /** teacher ∖ baseline */
  teacher_only?: IdSet;
  /** baseline ∖ teacher */
  baseline_only?: IdSet;
  students: Record<string, StudentOverlap>;
  /** student ∩ student_hard (soft and sequence-level students) */
  soft_and_hard?: IdSet;
  /** rows per exact membership pattern, e.g. "teacher+baseline" (empty key: memorized by none) */
  patterns: Record<string, number>;
}

const NAME = /^[a-z][a-z0-9_]*$/;

/** Join audits by id and compute the paper's sets. Throws UserError on disjoint audits or bad names. */
export function compareAudits(audits: AuditLabels[]): OverlapReport {
  if (audits.length < 2) throw new UserError(`--audit: give at least two audits to compare (got ${audits.length})`);
  const names = new Set<string>();
  for (const audit of audits) {
    if (!NAME.test(audit.name)) {
      throw new UserError(`--audit ${audit.name}=${audit.path}: the name must be lower-case letters, digits and _ (teacher, baseline, student, student_hard, …)`);
    }
    if (names.has(audit.name)) throw new UserError(`--audit ${audit.name}: given twice; name each audit once`);
    names.add(audit.name);
  }

  // Index every audit by id (IdIndex, not Map: no 2^24-entry limit); the first audit's order is the output order.
  const indexes = audits.map((audit) => {
    if (audit.index) return audit.index;
    const index = new IdIndex();
    audit.ids.forEach((id, row) => index.add(id, row));
    return index;
  });
  const inEvery = (id: string) => indexes.every((index) => index.get(id) >= 0);
  const common = audits[0].ids.filter(inEvery);
  if (common.length === 0) {
    const sample = audits.map((a) => `${a.name}: ${a.ids.slice(0, 2).join(', ') || '(no rows)'}`).join('; ');
    throw new UserError(`--audit: the audits share no id (${sample}); compare audits of the same corpus, and check --id-column`);
  }

  const columns = audits.map((audit, a) => common.map((id) => audit.labels[indexes[a].get(id)]));
  const compared: string[] = [];
  const member: boolean[][] = audits.map(() => []);
  let nullRows = 0;
  common.forEach((id, i) => {
    if (columns.some((column) => column[i] === null)) {
      nullRows++;
      return;
    }
    compared.push(id);
    columns.forEach((column, a) => member[a].push(column[i] === true));
  });
  const n = compared.length;
  const idSet = (keep: (i: number) => boolean): IdSet => {
    const ids = compared.filter((_, i) => keep(i));
    return { count: ids.length, rate: n === 0 ? 0 : ids.length / n, ids };
  };
  const of = (name: string) => member[audits.findIndex((a) => a.name === name)];

  const report: OverlapReport = {
    audits: {},
    rows_compared: n,
    excluded: { null_in_some_audit: nullRows, not_in_every_audit: 0 },
    memorized: {},
    students: {},
    patterns: {},
  };
  let notInEvery = 0;
  audits.forEach((audit, a) => {
    let missing = 0;
    for (const id of audit.ids) {
      if (inEvery(id)) continue;
      missing++;
      if (!indexes.slice(0, a).some((index) => index.get(id) >= 0)) notInEvery++; // counted once, at its first audit
    }
    const nullCount = audit.labels.filter((label) => label === null).length;
    report.audits[audit.name] = { path: audit.path, rows: audit.ids.length, null_rows: nullCount, rows_not_in_every_audit: missing };
    report.memorized[audit.name] = idSet((i) => member[a][i]);
  });
  report.excluded.not_in_every_audit = notInEvery;

  const teacher = names.has('teacher') ? of('teacher') : undefined;
  const baseline = names.has('baseline') ? of('baseline') : undefined;
  if (teacher && baseline) {
    report.easy_to_memorize = idSet((i) => teacher[i] && baseline[i]);
    report.teacher_only = idSet((i) => teacher[i] && !baseline[i]);
    report.baseline_only = idSet((i) => baseline[i] && !teacher[i]);
  }
  for (const audit of audits.filter((a) => a.name.startsWith('student'))) {
    const student = of(audit.name);
    const entry: StudentOverlap = { student_only: idSet((i) => student[i] && !(teacher?.[i] ?? false) && !(baseline?.[i] ?? false)) };
    if (teacher && baseline) {
      entry.easy_to_memorize = idSet((i) => student[i] && teacher[i] && baseline[i]);
      entry.inherited = idSet((i) => student[i] && teacher[i] && !baseline[i]);
      const total = report.memorized[audit.name].count;
      entry.easy_share = total === 0 ? null : entry.easy_to_memorize.count / total;
    }
    report.students[audit.name] = entry;
  }
  if (names.has('student') && names.has('student_hard')) {
    const [soft, hard] = [of('student'), of('student_hard')];
    report.soft_and_hard = idSet((i) => soft[i] && hard[i]);
  }
  for (let i = 0; i < n; i++) {
    const key = audits.filter((_, a) => member[a][i]).map((a) => a.name).join('+');
    report.patterns[key] = (report.patterns[key] ?? 0) + 1;
  }
  return report;
}
