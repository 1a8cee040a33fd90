// Overlap of memorization across models (the paper's sets), from per-model labels joined by id.
// Pure: callers stream the audits (compare.ts) into an OverlapJoin. Every set is a union of exact
// membership patterns, so a report is a function of the pattern counts, and shards' counts add up.
import type { Mismatch } from '../stage/provenance.js';
import { excerpt, UserError } from '../errors.js';
import { editDistance } from '../io/missing-column.js';
import { IdIndex } from '../id-index.js';
import type { DistillRecord } from '../torch/distill-record.js';
import type { GroupBinning, Grouping } from './groups.js';

export const OVERLAP_SCHEMA = 'memsieve.overlap/v2';

/** One audit's labels: `memorized` per row (null = not audited, e.g. too short), keyed by id. */
export interface AuditLabels {
  /** role name given on the command line: teacher, baseline, student, student_hard, … */
  name: string;
  path: string;
  ids: string[];
  labels: (boolean | null)[];
  /** id → row of `ids`, when the reader built it (readAuditLabels does) */
  index?: IdIndex;
}

/** A set of examples: how many, and their share of the compared rows. The ids are in the sets file. */
export interface SetCount {
  count: number;
  rate: number;
}

/** Sets that concern one student model (every audit whose name starts with "student"). */
export interface StudentOverlap {
  /** student ∩ teacher ∩ baseline (with teacher and baseline audits) */
  easy_to_memorize?: SetCount;
  /** teacher ∩ student ∖ baseline: memorization the student got from the teacher */
  inherited?: SetCount;
  /** student ∖ (teacher ∪ baseline, those given) */
  student_only: SetCount;
  /** |student ∩ easy_to_memorize| / |student| (null when the student memorized nothing) */
  easy_share?: number | null;
}

export interface AuditStats {
  path: string;
  /** the label column read */
  column: string;
  rows: number;
  null_rows: number;
  rows_not_in_every_audit: number;
}

/** What a join (or a shard of it) counts; adds up across shards. */
export interface OverlapCounts {
  /** audit names in command-line order */
  names: string[];
  audits: Record<string, AuditStats>;
  rows_compared: number;
  excluded: { null_in_some_audit: number; not_in_every_audit: number };
  /** rows per exact membership pattern, e.g. "teacher+baseline" (empty key: memorized by none) */
  patterns: Record<string, number>;
  /** a few ids of each audit, to name in the error for audits that share no id */
  sample_ids: Record<string, string[]>;
}

export interface OverlapReport {
  schema: typeof OVERLAP_SCHEMA;
  audits: Record<string, AuditStats>;
  /** rows present in every audit with a label in every audit: the denominator of every rate */
  rows_compared: number;
  excluded: { null_in_some_audit: number; not_in_every_audit: number };
  memorized: Record<string, SetCount>;
  /** teacher ∩ baseline */
  easy_to_memorize?: SetCount;
  /** teacher ∖ baseline */
  teacher_only?: SetCount;
  /** baseline ∖ teacher */
  baseline_only?: SetCount;
  students: Record<string, StudentOverlap>;
  /** student ∩ student_hard (soft and sequence-level students) */
  soft_and_hard?: SetCount;
  /** rows per exact membership pattern, e.g. "teacher+baseline" (empty key: memorized by none) */
  patterns: Record<string, number>;
  /** the sets file: one row per compared id memorized by at least one model */
  sets?: { path: string; rows: number };
  /** --by: the same per subgroup of rows */
  by?: OverlapGroups;
  /** --distill: each student's validation loss (the last epoch of its distill run), beside its memorization */
  validation?: Record<string, DistillRecord>;
  /** provenance fields the audits differ in, compared anyway because --allow-mismatch named them (docs/provenance.md) */
  allowed_mismatches?: Mismatch[];
}

/** One subgroup's memorization: rates of every model, teacher-only rows inherited, hard − soft. */
export interface GroupOverlap {
  group: string;
  rows_compared: number;
  memorized: Record<string, SetCount>;
  teacher_only?: SetCount;
  students: Record<string, StudentOverlap>;
  /** student_hard − student: memorization rate and inherited rows (with student and student_hard audits) */
  hard_minus_soft?: { memorization_rate: number; memorized: number; inherited?: number };
}

export interface OverlapGroups {
  column: string;
  /** the file the column was read from (by id) */
  source: string;
  binning: GroupBinning;
  /** compared rows left out: no value in the column, or (given edges) outside every bin */
  rows_without_value: number;
  rows_outside_bins: number;
  groups: GroupOverlap[];
}

/**
 * The overlap sets per group: `masks[r]` is row r's membership (OverlapJoin.membership), `grouping.groupOf[r]`
 * its group. Each group's sets come from its own pattern counts, as the whole report does.
 */
export function overlapByGroup(counts: OverlapCounts, masks: ArrayLike<number>, grouping: Grouping, column: string, source: string): OverlapGroups {
  const patterns = grouping.labels.map(() => ({} as Record<string, number>));
  const compared = grouping.labels.map(() => 0);
  for (let r = 0; r < masks.length; r++) {
    const g = grouping.groupOf[r];
    if (g < 0) continue;
    const key = patternKey(counts.names, masks[r]);
    patterns[g][key] = (patterns[g][key] ?? 0) + 1;
    compared[g]++;
  }
  const groups = grouping.labels.map((group, g): GroupOverlap => {
    if (compared[g] === 0) return { group, rows_compared: 0, memorized: {}, students: {} };
    const r = overlapReport({ ...counts, rows_compared: compared[g], excluded: { null_in_some_audit: 0, not_in_every_audit: 0 }, patterns: patterns[g] });
    const entry: GroupOverlap = { group, rows_compared: compared[g], memorized: r.memorized, students: r.students };
    if (r.teacher_only) entry.teacher_only = r.teacher_only;
    const [soft, hard] = [r.students.student, r.students.student_hard];
    if (soft && hard) {
      entry.hard_minus_soft = {
        memorization_rate: r.memorized.student_hard.rate - r.memorized.student.rate,
        memorized: r.memorized.student_hard.count - r.memorized.student.count,
        ...(soft.inherited && hard.inherited ? { inherited: hard.inherited.count - soft.inherited.count } : {}),
      };
    }
    return entry;
  });
  return { column, source, binning: grouping.binning, rows_without_value: grouping.rows_without_value, rows_outside_bins: grouping.rows_outside_bins, groups };
}

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * The names compare gives meaning to: teacher and baseline (easy_to_memorize, teacher_only), every name
 * starting with student (the students' sets), student with student_hard (soft ∩ hard). Any other name is
 * a free label: its own memorized count and its place in the patterns, nothing more.
 */
export const AUDIT_ROLES = ['teacher', 'baseline', 'student', 'student_hard'] as const;

/** The role a name is a typo of (`studnet` → student), or undefined for a role, an extension of one (`teacher_7b`) or a free label. */
export function misspeltRole(name: string): string | undefined {
  if (AUDIT_ROLES.some((role) => name.startsWith(role))) return undefined;
  return AUDIT_ROLES.find((role) => editDistance(name, role) <= 2);
}

/** What a set of names leaves out, said before the work: a report without students is rarely what was meant. */
export function auditNameWarnings(names: string[]): string[] {
  const warnings: string[] = [];
  if (!names.some((name) => name.startsWith('student'))) {
    warnings.push(`no --audit is named student (or student_…): the students' sets (inherited, student_only) are left out; names are roles (docs/audit.md), e.g. --audit student=student.audit.parquet`);
  }
  const pair = ['teacher', 'baseline'].filter((role) => names.includes(role));
  if (pair.length === 1) warnings.push(`--audit ${pair[0]} without --audit ${pair[0] === 'teacher' ? 'baseline' : 'teacher'}: easy_to_memorize and inherited need both, and are left out`);
  return warnings;
}

/** Audit names are lower-case identifiers, each once, and not a typo of a role. */
export function checkAuditNames(audits: { name: string; path: string }[]): void {
  if (audits.length < 2) throw new UserError(`--audit: give at least two audits to compare (got ${audits.length})`);
  const names = new Set<string>();
  for (const audit of audits) {
    if (audit.name === 'pattern') throw new UserError(`--audit ${audit.name}=${audit.path}: "pattern" is the name of compare's own output column; name the audit otherwise`);
    if (!NAME.test(audit.name)) {
      throw new UserError(`--audit ${excerpt(audit.name, 80)}=${audit.path}: the name must be lower-case letters, digits and _ (teacher, baseline, student, student_hard, …)`);
    }
    const meant = misspeltRole(audit.name);
    if (meant) {
      throw new UserError(`--audit ${audit.name}=${audit.path}: "${audit.name}" is not a name compare knows; did you mean "${meant}"? (roles: teacher, baseline, student, student_…; another name is a free label counted on its own)`);
    }
    if (names.has(audit.name)) throw new UserError(`--audit ${audit.name}: given twice; name each audit once`);
    names.add(audit.name);
  }
}

/** The pattern key of a membership bitmask (bit a = memorized by audit a): names joined by "+". */
export function patternKey(names: string[], mask: number): string {
  return names.filter((_, a) => mask & (1 << a)).join('+');
}

const FALSE = 0;
const TRUE = 1;
const NULL = 2;
const ABSENT = 3;

/**
 * Joins audits by id, one row at a time: first every row of the first audit, then each other audit in
 * turn. Holds, per row of the first audit it owns, an IdIndex entry and a byte per audit; ids of other
 * audits that the first lacks are kept only to count them once. `owns` picks a shard's ids (all by default).
 */
export class OverlapJoin {
  private readonly index = new IdIndex();
  private readonly labels: Uint8Array[];
  /** row in audit a (a ≥ 1) of each first-audit row, for naming duplicates */
  private readonly rowIn: Int32Array[];
  private rows = 0;
  private readonly extra = new IdIndex();
  private extraAudit: Int32Array<ArrayBuffer> = new Int32Array(1024);
  private extraRow: Int32Array<ArrayBuffer> = new Int32Array(1024);
  private extras = 0;
  private readonly stats: AuditStats[];
  private readonly samples: string[][];
  private current = 0;
  private finished = false;

  constructor(
    private readonly audits: { name: string; path: string; column: string }[],
    private readonly owns: (id: string) => boolean = () => true,
  ) {
    if (audits.length > 30) throw new UserError(`--audit: at most 30 audits, got ${audits.length}`);
    this.labels = audits.map(() => new Uint8Array(1024));
    this.rowIn = audits.map(() => new Int32Array(1024));
    this.stats = audits.map((a) => ({ path: a.path, column: a.column, rows: 0, null_rows: 0, rows_not_in_every_audit: 0 }));
    this.samples = audits.map(() => []);
  }

  /** Adds row `row` of audit `a`; audits come in order (all of audit 0 first). */
  add(a: number, id: string, label: boolean | null, row: number): void {
    if (a < this.current || this.finished) throw new Error('OverlapJoin.add: audits must come in order');
    this.current = a;
    if (this.samples[a].length < 2) this.samples[a].push(id);
    if (!this.owns(id)) return;
    const code = label === null ? NULL : label ? TRUE : FALSE;
    const where = () => `--audit ${this.audits[a].name}=${this.audits[a].path}`;
    if (a === 0) {
      const k = this.rows;
      const first = this.index.add(id, k);
      if (first >= 0) throw new UserError(`${where()}: id '${id}' appears twice (rows ${this.rowIn[0][first]} and ${row}); ids must be unique to join audits`);
      this.grow();
      this.labels.forEach((l) => (l[k] = ABSENT));
      this.labels[0][k] = code;
      this.rowIn[0][k] = row;
      this.rows++;
    } else {
      const k = this.index.get(id);
      if (k >= 0) {
        if (this.labels[a][k] !== ABSENT) throw new UserError(`${where()}: id '${id}' appears twice (rows ${this.rowIn[a][k]} and ${row}); ids must be unique to join audits`);
        this.labels[a][k] = code;
        this.rowIn[a][k] = row;
      } else {
        const slot = this.extra.get(id);
        if (slot >= 0 && this.extraAudit[slot] === a) {
          throw new UserError(`${where()}: id '${id}' appears twice (rows ${this.extraRow[slot]} and ${row}); ids must be unique to join audits`);
        }
        if (slot < 0) this.addExtra(id);
        else this.extraAudit[slot] = a;
        this.extraRow[slot < 0 ? this.extras - 1 : slot] = row;
        this.stats[a].rows_not_in_every_audit++;
      }
    }
    this.stats[a].rows++;
    if (label === null) this.stats[a].null_rows++;
  }

  private addExtra(id: string): void {
    if (this.extras === this.extraAudit.length) {
      this.extraAudit = grown(this.extraAudit);
      this.extraRow = grown(this.extraRow);
    }
    this.extra.add(id, this.extras);
    this.extraAudit[this.extras] = this.current;
    this.extras++;
  }

  private grow(): void {
    if (this.rows < this.labels[0].length) return;
    for (let a = 0; a < this.labels.length; a++) {
      const l = new Uint8Array(this.labels[a].length * 2);
      l.set(this.labels[a]);
      this.labels[a] = l;
      this.rowIn[a] = grown(this.rowIn[a]);
    }
  }

  /**
   * Membership of the k-th owned row of the first audit: a bitmask (bit a = memorized by audit a),
   * or -1 when the row is not compared (missing from an audit, or null in one).
   */
  membership(k: number): number {
    let mask = 0;
    for (let a = 0; a < this.labels.length; a++) {
      const code = this.labels[a][k];
      if (code === ABSENT || code === NULL) return -1;
      if (code === TRUE) mask |= 1 << a;
    }
    return mask;
  }

  /** The k of an id of the first audit (membership's argument), or −1 when the join does not hold it. */
  rowOf(id: string): number {
    return this.index.get(id);
  }

  /** Rows of the first audit this join owns (membership's k runs below it). */
  get ownedRows(): number {
    return this.rows;
  }

  /** The counts; call once every audit was added. */
  counts(): OverlapCounts {
    this.finished = true;
    const names = this.audits.map((a) => a.name);
    const patterns: Record<string, number> = {};
    let compared = 0;
    let nullRows = 0;
    let notInEvery = this.extras;
    const present = new Uint8Array(this.labels.length);
    for (let k = 0; k < this.rows; k++) {
      let missing = false;
      let hasNull = false;
      let mask = 0;
      for (let a = 0; a < this.labels.length; a++) {
        const code = this.labels[a][k];
        present[a] = code === ABSENT ? 0 : 1;
        if (code === ABSENT) missing = true;
        else if (code === NULL) hasNull = true;
        else if (code === TRUE) mask |= 1 << a;
      }
      if (missing) {
        notInEvery++;
        for (let a = 0; a < present.length; a++) if (present[a]) this.stats[a].rows_not_in_every_audit++;
      } else if (hasNull) nullRows++;
      else {
        compared++;
        const key = patternKey(names, mask);
        patterns[key] = (patterns[key] ?? 0) + 1;
      }
    }
    return {
      names,
      audits: Object.fromEntries(names.map((name, a) => [name, { ...this.stats[a] }])),
      rows_compared: compared,
      excluded: { null_in_some_audit: nullRows, not_in_every_audit: notInEvery },
      patterns,
      sample_ids: Object.fromEntries(names.map((name, a) => [name, this.samples[a]])),
    };
  }
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const out = new Int32Array(a.length * 2);
  out.set(a);
  return out;
}

/** Shards' counts added up (the same audits in the same order). */
export function addOverlapCounts(parts: OverlapCounts[]): OverlapCounts {
  const [first] = parts;
  const total: OverlapCounts = {
    names: first.names,
    audits: Object.fromEntries(first.names.map((name) => [name, { ...first.audits[name], rows: 0, null_rows: 0, rows_not_in_every_audit: 0 }])),
    rows_compared: 0,
    excluded: { null_in_some_audit: 0, not_in_every_audit: 0 },
    patterns: {},
    sample_ids: first.sample_ids,
  };
  for (const part of parts) {
    for (const name of first.names) {
      total.audits[name].rows += part.audits[name].rows;
      total.audits[name].null_rows += part.audits[name].null_rows;
      total.audits[name].rows_not_in_every_audit += part.audits[name].rows_not_in_every_audit;
    }
    total.rows_compared += part.rows_compared;
    total.excluded.null_in_some_audit += part.excluded.null_in_some_audit;
    total.excluded.not_in_every_audit += part.excluded.not_in_every_audit;
    for (const [key, n] of Object.entries(part.patterns)) total.patterns[key] = (total.patterns[key] ?? 0) + n;
  }
  return total;
}

/** The paper's sets from the pattern counts; audits that share no id are a UserError. */
export function overlapReport(counts: OverlapCounts): OverlapReport {
  const { names } = counts;
  if (counts.rows_compared + counts.excluded.null_in_some_audit === 0) {
    const sample = names.map((name) => `${name}: ${counts.sample_ids[name].join(', ') || '(no rows)'}`).join('; ');
    throw new UserError(`--audit: the audits share no id (${sample}); compare audits of the same corpus, and check --id-column`);
  }
  const n = counts.rows_compared;
  const has = new Set(names);
  const bit = (name: string) => 1 << names.indexOf(name);
  // parse each pattern key back to its bitmask once
  const masks = Object.entries(counts.patterns).map(([key, count]) => [key === '' ? 0 : key.split('+').reduce((m, name) => m | bit(name), 0), count] as const);
  const set = (keep: (mask: number) => boolean): SetCount => {
    const count = masks.reduce((sum, [mask, c]) => sum + (keep(mask) ? c : 0), 0);
    return { count, rate: n === 0 ? 0 : count / n };
  };
  const report: OverlapReport = {
    schema: OVERLAP_SCHEMA,
    audits: counts.audits,
    rows_compared: n,
    excluded: counts.excluded,
    memorized: Object.fromEntries(names.map((name) => [name, set((m) => (m & bit(name)) !== 0)])),
    students: {},
    patterns: counts.patterns,
  };
  const teacher = has.has('teacher') ? bit('teacher') : 0;
  const baseline = has.has('baseline') ? bit('baseline') : 0;
  const both = teacher && baseline;
  if (both) {
    report.easy_to_memorize = set((m) => (m & teacher) !== 0 && (m & baseline) !== 0);
    report.teacher_only = set((m) => (m & teacher) !== 0 && (m & baseline) === 0);
    report.baseline_only = set((m) => (m & baseline) !== 0 && (m & teacher) === 0);
  }
  for (const name of names.filter((x) => x.startsWith('student'))) {
    const s = bit(name);
    const entry: StudentOverlap = { student_only: set((m) => (m & s) !== 0 && (m & (teacher | baseline)) === 0) };
    if (both) {
      entry.easy_to_memorize = set((m) => (m & s) !== 0 && (m & teacher) !== 0 && (m & baseline) !== 0);
      entry.inherited = set((m) => (m & s) !== 0 && (m & teacher) !== 0 && (m & baseline) === 0);
      const total = report.memorized[name].count;
      entry.easy_share = total === 0 ? null : entry.easy_to_memorize.count / total;
    }
    report.students[name] = entry;
  }
  if (has.has('student') && has.has('student_hard')) {
    const [soft, hard] = [bit('student'), bit('student_hard')];
    report.soft_and_hard = set((m) => (m & soft) !== 0 && (m & hard) !== 0);
  }
  return report;
}

/** Joins in-memory audits by id and computes the paper's sets (the API's form of `memsieve compare`). */
export function compareAudits(audits: AuditLabels[]): OverlapReport {
  checkAuditNames(audits);
  const join = new OverlapJoin(audits.map((a) => ({ name: a.name, path: a.path, column: 'memorized' })));
  audits.forEach((audit, a) => audit.ids.forEach((id, row) => join.add(a, id, audit.labels[row], row)));
  return overlapReport(join.counts());
}
