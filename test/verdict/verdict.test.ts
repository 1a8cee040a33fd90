// memsieve verdict on constructed audits: a small case counted by hand, and a random one whose every
// figure is recomputed here with plain Sets (no code shared with src/verdict), through the CLI's exit codes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeVerdict } from '../../src/verdict/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';

const dir = tempDir('memsieve-verdict-');
type Label = boolean | null;

function writeJsonl(name: string, rows: object[]): string {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

function audit(name: string, labels: Record<string, Label>): string {
  return writeJsonl(name, Object.entries(labels).map(([id, memorized]) => ({ id, memorized, lead: memorized ? 50 : 3 })));
}

function distillRecord(name: string, valLoss: number | undefined): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const history = [1, 2].map((epoch) => ({ epoch, train_loss: 3 - epoch, ...(valLoss === undefined ? {} : { val_loss: valLoss + 1 / epoch, val_ppl: Math.exp(valLoss + 1 / epoch) }) }));
  writeFileSync(join(folder, 'distill.json'), JSON.stringify({ mode: 'soft', history }));
  return folder;
}

/** A filter report folder as far as verdict reads it: manifest.json and the removed-rows list. */
function reportFolder(name: string, removedIds: string[]): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const dataset = { files: [], rows: 0, fingerprint: 'x' };
  writeFileSync(join(folder, 'removed-rows.jsonl'), removedIds.map((id) => JSON.stringify({ id, risk: 0.9, row_sha256: 'ab', features: {}, log_odds: {} })).join('\n') + '\n');
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify({
    schema: 'memsieve.manifest/v2', input: dataset, clean: dataset, removed: dataset, fingerprint: {}, threshold: {}, model: {}, report: {},
    removed_rows: { path: 'removed-rows.jsonl', sha256: 'x', rows: removedIds.length },
  }));
  return folder;
}

describe('memsieve verdict, counted by hand', () => {
  // a..h; before memorizes a b c d, after memorizes c e g; f unlabelled after; g only in after; h only before
  const before = { a: true, b: true, c: true, d: true, e: false, f: false, h: false };
  const after = { a: false, b: false, c: true, d: false, e: true, f: null, g: true };
  // the filter removed a, b, g; teacher-only rows (teacher, not baseline): a, c, e
  const teacher = { a: true, b: true, c: true, d: false, e: true, f: true, g: true, h: true };
  const baseline = { a: false, b: true, c: false, d: false, e: false, f: false, g: true, h: true };

  it('counts the drop, where rows still memorized lie, inherited teacher-only rows and the validation loss', async () => {
    const scores = writeJsonl('hand-scores.jsonl', Object.keys(teacher).map((id) => ({ id, text: id, teacher_memorized: teacher[id as 'a'], baseline_memorized: baseline[id as 'a'] })));
    const v = await writeVerdict({
      before: audit('hand-before.jsonl', before),
      after: audit('hand-after.jsonl', after),
      removed: reportFolder('hand-report', ['a', 'b', 'g']),
      teacher: audit('hand-teacher.jsonl', teacher),
      baseline: scores, // a score file: baseline_memorized
      beforeDistill: distillRecord('hand-student-before', 2.5),
      afterDistill: distillRecord('hand-student-after', 2.75),
      output: join(dir, 'hand.json'),
      maxAfter: 3,
      minDrop: 0.5,
    });
    // compared: a b c d e (f unlabelled after, g and h in one audit only)
    expect(v.rows).toEqual({ before: 7, after: 6, compared: 5, only_before: 2, only_after: 1 });
    expect(v.memorized).toEqual({ before: 4, after: 2, both: 1, before_only: 3, after_only: 1 });
    expect(v.drop).toEqual({ rows: 2, fraction: 0.5 });
    // after memorizes c e g over all its rows; g was removed
    expect(v.after_all).toEqual({ rows: 6, memorized: 3, in_clean: { count: 2, ids: ['c', 'e'] }, in_removed: { count: 1, ids: ['g'] } });
    expect(v.removed).toMatchObject({ rows: 3, before_memorized_removed: 2 });
    // teacher-only among compared: a c e; before memorized a c, after c e
    expect(v.inherited).toEqual({ teacher_only: 3, before: 2, after: 2, rows_without_teacher_baseline: 0 });
    expect(v.validation!.before.val_loss).toBeCloseTo(3.0, 12);
    expect(v.validation!.after.val_loss).toBeCloseTo(3.25, 12);
    expect(v.validation!.val_loss_change).toBeCloseTo(0.25, 12);
    expect(v.passed).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'hand.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(v)));
  });

  it('exits 3 when a criterion is not met (the verdict is still written), 0 when met, 2 on bad input', () => {
    const args = ['verdict', '--before', join(dir, 'hand-before.jsonl'), '--after', join(dir, 'hand-after.jsonl'), '--removed', join(dir, 'hand-report')];
    let r = runCli([...args, '-o', join(dir, 'fail.json'), '--max-after', '2', '--min-drop', '0.6']);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/still memorized after: 2 in D_clean, 1 among the removed rows/);
    expect(r.stdout).toMatch(/verdict: FAILED\n  the after student memorized 3 rows, more than --max-after 2\n  memorization dropped by 50\.0% \(4 → 2\), less than --min-drop 0\.6/);
    const failed = JSON.parse(readFileSync(join(dir, 'fail.json'), 'utf8'));
    expect(failed).toMatchObject({ passed: false, criteria: { max_after: 2, min_drop: 0.6 } });
    expect(failed.failures).toHaveLength(2);

    r = runCli([...args, '-o', join(dir, 'pass.json'), '--max-after', '3', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verdict: PASSED\n/); // --quiet turns off progress only: the verdict is still printed whole
    expect(r.stdout).toMatch(/still memorized after: 2 in D_clean, 1 among the removed rows/);

    r = runCli([...args, '-o', join(dir, 'hand-after.jsonl')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--output .*hand-after\.jsonl is the same file as --after/); // the central check (src/io/no-overwrite.ts)
    r = runCli([...args, '-o', join(dir, 'x.json'), '--min-drop', '1.5']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--min-drop.*expected a fraction in \[0, 1\]/);
  });

  it('names what is wrong: disjoint audits, a lone --teacher, a student without validation loss, removed rows of another corpus', async () => {
    const base = { before: join(dir, 'hand-before.jsonl'), after: join(dir, 'hand-after.jsonl'), output: join(dir, 'never.json') };
    await expect(writeVerdict({ ...base, after: audit('other.jsonl', { x: true, y: false }) })).rejects.toThrow(/share no labelled row/);
    await expect(writeVerdict({ ...base, teacher: join(dir, 'hand-teacher.jsonl') })).rejects.toThrow(/--teacher and --baseline go together/);
    await expect(writeVerdict({ ...base, beforeDistill: distillRecord('no-val-1', undefined), afterDistill: distillRecord('no-val-2', undefined) })).rejects.toThrow(
      /--before-distill .*no-val-1: this student was distilled without --validation/,
    );
    await expect(writeVerdict({ ...base, removed: reportFolder('other-report', ['x', 'y']) })).rejects.toThrow(/none of its 2 removed rows is in --after/);
    await expect(writeVerdict({ ...base, teacher: join(dir, 'hand-before.jsonl'), baseline: writeJsonl('no-labels.jsonl', [{ id: 'a' }]) })).rejects.toThrow(
      /--baseline .*no-labels\.jsonl: neither 'memorized' \(an audit\) nor 'baseline_memorized'/,
    );
    await expect(writeVerdict({ ...base, before: writeJsonl('dup.jsonl', [{ id: 'a', memorized: true }, { id: 'a', memorized: false }]) })).rejects.toThrow(
      /--before .*dup\.jsonl: id 'a' appears twice/,
    );
  });
});

describe('memsieve verdict on random audits', () => {
  it('equals counts made here with Sets, with a removed data file and shuffled row orders', async () => {
    let state = 99;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ids = Array.from({ length: 3000 }, (_, i) => `doc-${i}`);
    const pick = (p: number): Label => (random() < 0.05 ? null : random() < p);
    const before = new Map(ids.map((id) => [id, pick(0.2)]));
    const after = new Map(ids.filter(() => random() < 0.97).map((id) => [id, pick(0.05)]));
    const teacher = new Map(ids.map((id) => [id, pick(0.6)]));
    const baseline = new Map(ids.map((id) => [id, pick(0.2)]));
    const removed = new Set(ids.filter(() => random() < 0.15));
    const shuffle = (m: Map<string, Label>) => [...m.entries()].sort(() => random() - 0.5);
    const toRows = (entries: [string, Label][], column = 'memorized') => entries.map(([id, label]) => ({ id, [column]: label }));
    const v = await writeVerdict({
      before: writeJsonl('r-before.jsonl', toRows(shuffle(before))),
      after: writeJsonl('r-after.jsonl', toRows(shuffle(after))),
      teacher: writeJsonl('r-teacher.jsonl', toRows(shuffle(teacher), 'teacher_memorized')),
      baseline: writeJsonl('r-baseline.jsonl', toRows(shuffle(baseline))),
      removed: writeJsonl('r-removed.jsonl', [...removed].map((id) => ({ id, text: 'x' }))),
      output: join(dir, 'random.json'),
      minDrop: 0.5,
    });

    const compared = ids.filter((id) => before.get(id) != null && after.get(id) != null);
    const count = (keep: (id: string) => boolean, over: string[] = compared) => over.filter(keep).length;
    const teacherOnly = compared.filter((id) => teacher.get(id) === true && baseline.get(id) === false);
    const stillMemorized = ids.filter((id) => after.get(id) === true);
    const mb = count((id) => before.get(id) === true);
    const ma = count((id) => after.get(id) === true);
    expect(v.rows.compared).toBe(compared.length);
    expect(v.memorized.before).toBe(mb);
    expect(v.memorized.after).toBe(ma);
    expect(v.memorized.after_only).toBe(count((id) => after.get(id) === true && before.get(id) === false));
    expect(v.drop.fraction).toBeCloseTo((mb - ma) / mb, 12);
    expect(v.after_all.memorized).toBe(stillMemorized.length);
    expect(new Set(v.after_all.in_removed!.ids)).toEqual(new Set(stillMemorized.filter((id) => removed.has(id))));
    expect(new Set(v.after_all.in_clean!.ids)).toEqual(new Set(stillMemorized.filter((id) => !removed.has(id))));
    expect(v.removed!.before_memorized_removed).toBe(count((id) => before.get(id) === true && removed.has(id)));
    expect(v.inherited).toEqual({
      teacher_only: teacherOnly.length,
      before: count((id) => before.get(id) === true, teacherOnly),
      after: count((id) => after.get(id) === true, teacherOnly),
      rows_without_teacher_baseline: count((id) => teacher.get(id) == null || baseline.get(id) == null),
    });
    expect(v.passed).toBe((mb - ma) / mb >= 0.5);
  });
});
