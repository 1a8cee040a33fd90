// compareAudits on the kit's golden flags must give the counts of the kit's report.json (`overlap`).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareAudits, type AuditLabels } from '../../src/audit/overlap.js';
import { renderOverlapSvg } from '../../src/audit/figure.js';
import { UserError } from '../../src/errors.js';
import { kitFile, kitGolden } from '../helpers/kit.js';

const kitReport = JSON.parse(readFileSync(kitFile('report.json'), 'utf8'));

describe('compareAudits on golden flags', () => {
  let audits: AuditLabels[];
  beforeAll(async () => {
    const golden = await kitGolden();
    const audit = (name: string, column: string): AuditLabels => ({
      name,
      path: `golden:${column}`,
      ids: golden.map((row) => row.id),
      labels: golden.map((row) => row[column]),
    });
    audits = [audit('teacher', 'mem_teacher'), audit('baseline', 'mem_baseline'), audit('student', 'mem_student'), audit('student_hard', 'mem_student_hard')];
  });

  it("reproduces report.json's overlap counts and per-model rates", () => {
    const report = compareAudits(audits);
    const overlap = kitReport.overlap;
    expect(report.rows_compared).toBe(kitReport.n_examples);
    expect(report.easy_to_memorize!.count).toBe(overlap['teacher&baseline']);
    expect(report.students.student.easy_to_memorize!.count).toBe(overlap['student&teacher&baseline']);
    expect(report.students.student.inherited!.count).toBe(overlap['inherited_soft(teacher&student&~baseline)']);
    expect(report.students.student_hard.inherited!.count).toBe(overlap['inherited_hard(teacher&hard&~baseline)']);
    expect(report.teacher_only!.count).toBe(overlap['teacher_only_not_baseline']);
    expect(report.soft_and_hard!.count).toBe(overlap['soft&hard']);
    for (const name of ['teacher', 'baseline', 'student', 'student_hard']) {
      expect(report.memorized[name].count).toBe(kitReport[`mem_count_${name}`]);
    }
    for (const name of ['teacher', 'baseline', 'student']) expect(report.memorized[name].rate).toBeCloseTo(kitReport[`mem_rate_${name}`], 12);
    expect(report.students.student.easy_share).toBeCloseTo(overlap['student&teacher&baseline'] / kitReport.mem_count_student, 12);
    // membership patterns partition the compared rows
    expect(Object.values(report.patterns).reduce((a, b) => a + b, 0)).toBe(report.rows_compared);
    expect(report.students.student.inherited!.count).toBe(16);
    // counts and rates only: the ids go to the sets file (compare --sets)
    expect(JSON.stringify(report)).not.toContain(audits[0].ids[0]);
  });

  it('excludes and counts null rows and rows missing from an audit', () => {
    const [teacher, baseline] = audits;
    const student: AuditLabels = { ...audits[2], ids: audits[2].ids.slice(0, 5000), labels: audits[2].labels.slice(0, 5000) };
    student.labels[0] = null;
    student.labels[1] = null;
    const report = compareAudits([teacher, baseline, student]);
    expect(report.rows_compared).toBe(4998);
    expect(report.excluded).toEqual({ null_in_some_audit: 2, not_in_every_audit: 300 });
    expect(report.audits.student.null_rows).toBe(2);
    expect(report.audits.teacher.rows_not_in_every_audit).toBe(300);
  });

  it('counts an id missing from several audits once, and ids only one audit has', () => {
    const [teacher, baselineAll, studentAll] = audits;
    const baseline: AuditLabels = { ...baselineAll, ids: baselineAll.ids.slice(10), labels: baselineAll.labels.slice(10) };
    const student: AuditLabels = { ...studentAll, ids: [...studentAll.ids.slice(0, 5000), 'x1', 'x2', 'x3'], labels: [...studentAll.labels.slice(0, 5000), true, false, true] };
    student.labels[20] = null;
    student.labels[21] = null;
    const report = compareAudits([teacher, baseline, student]);
    // compared: rows 10..4999 less the two nulls; not in every audit: rows 0..9 and 5000..5299, and x1..x3
    expect(report.rows_compared).toBe(4988);
    expect(report.excluded).toEqual({ null_in_some_audit: 2, not_in_every_audit: 313 });
    expect([teacher, baseline, student].map((a) => report.audits[a.name].rows_not_in_every_audit)).toEqual([310, 300, 13]);
  });

  it('draws an SVG with one bar per membership pattern', () => {
    const report = compareAudits(audits);
    const svg = renderOverlapSvg(report);
    expect(svg.startsWith('<svg')).toBe(true);
    const bars = Object.entries(report.patterns).filter(([k, c]) => k !== '' && c > 0);
    for (const [key, count] of bars) expect(svg).toContain(`<title>${key}: ${count}</title>`);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  it('disjoint ids are a UserError', () => {
    const other: AuditLabels = { name: 'student', path: 's.parquet', ids: ['x', 'y'], labels: [true, false] };
    expect(() => compareAudits([audits[0], other])).toThrow(UserError);
    expect(() => compareAudits([audits[0], other])).toThrow(/share no id/);
  });
});
