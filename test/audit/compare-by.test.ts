// compare --by: every count per subgroup, against a plain loop over the kit's golden flags (computed
// outside this project). The kit's soft student memorized 336 rows, all from texts repeated 16 times.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupValues, parseBinning, quantileEdges } from '../../src/audit/groups.js';
import { runCli } from '../helpers/cli.js';
import { kitFile, kitGolden, tempDir } from '../helpers/kit.js';

const golden = kitFile('golden.parquet');
const audits = ['teacher', 'baseline', 'student', 'student_hard'].flatMap((name) => ['--audit', `${name}=${golden}:mem_${name}`]);
let rows: Record<string, any>[];
const dir = tempDir('memsieve-compare-by-');

beforeAll(async () => {
  rows = await kitGolden();
});

/** Per group: memorized counts of each model, inherited per student, by a plain loop. */
function countByHand(groupOf: (row: Record<string, any>) => string | null) {
  const groups = new Map<string, { rows: number; mem: Record<string, number>; inherited: Record<string, number> }>();
  for (const r of rows) {
    const g = groupOf(r);
    if (g === null) continue;
    if (!groups.has(g)) groups.set(g, { rows: 0, mem: { teacher: 0, baseline: 0, student: 0, student_hard: 0 }, inherited: { student: 0, student_hard: 0 } });
    const entry = groups.get(g)!;
    entry.rows++;
    for (const name of ['teacher', 'baseline', 'student', 'student_hard']) if (r[`mem_${name}`]) entry.mem[name]++;
    for (const name of ['student', 'student_hard']) if (r[`mem_${name}`] && r.mem_teacher && !r.mem_baseline) entry.inherited[name]++;
  }
  return groups;
}

describe('compare --by', () => {
  it('by copies: every memorized row of the soft student is in the 16-copy group; each count as a plain loop', () => {
    const out = join(dir, 'copies.json');
    const figure = join(dir, 'copies.svg');
    const r = runCli(['compare', ...audits, '--by', 'copies', '-o', out, '--figure', figure, '-q']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.by).toMatchObject({ column: 'copies', binning: { kind: 'categorical' }, rows_without_value: 0 });
    expect(report.by.groups.map((g: any) => g.group)).toEqual(['1', '2', '4', '8', '16']);
    const byHand = countByHand((row) => String(Number(row.copies)));
    for (const g of report.by.groups) {
      const want = byHand.get(g.group)!;
      expect(g.rows_compared).toBe(want.rows);
      for (const name of ['teacher', 'baseline', 'student', 'student_hard']) {
        expect(g.memorized[name].count, `${g.group} ${name}`).toBe(want.mem[name]);
        expect(g.memorized[name].rate).toBeCloseTo(want.mem[name] / want.rows, 12);
      }
      for (const name of ['student', 'student_hard']) expect(g.students[name].inherited.count, `${g.group} ${name}`).toBe(want.inherited[name]);
      expect(g.hard_minus_soft.memorized).toBe(want.mem.student_hard - want.mem.student);
      expect(g.hard_minus_soft.inherited).toBe(want.inherited.student_hard - want.inherited.student);
    }
    // the done-when of issue 21: the soft student's 336 memorized rows all lie in the 16-copy group
    const sixteen = report.by.groups.find((g: any) => g.group === '16');
    expect(sixteen.memorized.student.count).toBe(336);
    expect(report.memorized.student.count).toBe(336);
    for (const g of report.by.groups.filter((x: any) => x.group !== '16')) expect(g.memorized.student.count).toBe(0);
    expect(r.stdout).toMatch(/by copies \(categories; 0 compared rows without a value\):\n(.|\n)*copies 16: \d+ rows; teacher \d+ \([\d.]+%\), baseline \d+ \([\d.]+%\), student 336/);
    const svg = readFileSync(figure, 'utf8');
    expect(svg).toContain('Memorization rate by copies');
    expect(svg).toContain('copies 16, student: 336 of');
  });

  it('by a numeric column in quantile bins and in given edges', () => {
    const out = join(dir, 'nll.json');
    const r = runCli(['compare', ...audits, '--by', 'nll_teacher', '--bins', 'quantile:4', '-o', out, '-q']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const values = rows.map((row) => Number(row.nll_teacher)).sort((a, b) => a - b);
    // lower nearest rank: edge i is the value at index floor(i · (n − 1) / 4)
    const edges = [0, 1, 2, 3, 4].map((i) => values[Math.floor((i * (values.length - 1)) / 4)]);
    expect(report.by.binning).toEqual({ kind: 'quantile', edges });
    const bin = (v: number) => (v < edges[1] ? 0 : v < edges[2] ? 1 : v < edges[3] ? 2 : 3);
    const byHand = countByHand((row) => String(bin(Number(row.nll_teacher))));
    report.by.groups.forEach((g: any, i: number) => {
      expect(g.rows_compared).toBe(byHand.get(String(i))!.rows);
      expect(g.memorized.student_hard.count).toBe(byHand.get(String(i))!.mem.student_hard);
    });
    const edgesOut = join(dir, 'edges.json');
    const e = runCli(['compare', ...audits, '--by', 'copies', '--bins', '1,4,16', '-o', edgesOut, '-q']);
    expect(e.status, e.stderr).toBe(0);
    const byEdges = JSON.parse(readFileSync(edgesOut, 'utf8')).by;
    expect(byEdges.groups.map((g: any) => [g.group, g.rows_compared])).toEqual([
      ['[1, 4)', rows.filter((x) => Number(x.copies) < 4).length],
      ['[4, 16]', rows.filter((x) => Number(x.copies) >= 4).length],
    ]);
  });

  it('refuses a missing column, bad bins, and --by with shards', () => {
    let r = runCli(['compare', ...audits, '--by', 'copys', '-o', join(dir, 'never.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/memsieve: error: --by copys: .* has no column "copys" to group by .*did you mean "copies"/);
    r = runCli(['compare', ...audits, '--by', 'copies', '--bins', '4,2', '-o', join(dir, 'never.json')]);
    expect(r.stderr).toMatch(/memsieve: error: --bins 4,2: expected auto, categorical, quantile:N, or at least two rising numbers/);
    r = runCli(['compare', ...audits, '--by', 'copies', '--shard-index', '0', '--shard-count', '2', '-o', join(dir, 'never.json')]);
    expect(r.stderr).toMatch(/memsieve: error: --by and --distill need the whole join in one process/);
  });

  it('refuses a --by-file that gives no compared row a value (other ids, or only nulls), in compare and verdict alike, writing nothing', () => {
    const other = join(dir, 'other-ids.jsonl');
    writeFileSync(other, ['{"id":"x","copies":1}', '{"id":"x","copies":2}', '{"id":"brown-000001-dup01","copies":null}'].join('\n') + '\n');
    const message = `memsieve: error: --by copies: none of the ${rows.length} compared rows has a value in ${other} (no id in common with the audits, or only nulls); group by a file of the audited rows, e.g. the corpus, with --by-file\n`;
    const compared = runCli(['compare', ...audits, '--by', 'copies', '--by-file', other, '-o', join(dir, 'never.json'), '-q']);
    expect(compared.status).toBe(2);
    // (warnings about the audits' provenance may come first; the error is the one line that ends it)
    const lastLine = (stderr: string) => `${stderr.trim().split('\n').at(-1)}\n`;
    expect(lastLine(compared.stderr)).toBe(message);
    expect(compared.stderr.match(/memsieve: error:/g)).toHaveLength(1);
    const judged = runCli(['verdict', '--before', `${golden}:mem_student`, '--after', `${golden}:mem_student_clean`, '--by', 'copies', '--by-file', other, '-o', join(dir, 'never.json'), '-q']);
    expect(judged.status).toBe(2);
    expect(lastLine(judged.stderr)).toBe(message);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
  });
});

describe('groupValues', () => {
  it('auto: categorical for few distinct numbers and for strings, quantile bins otherwise; nulls left out', () => {
    expect(groupValues([16, 1, 2, 1, null], parseBinning('auto'), 'c')).toMatchObject({ labels: ['1', '2', '16'], binning: { kind: 'categorical' }, rows_without_value: 1 });
    expect(Array.from(groupValues([16, 1, 2, 1, null], parseBinning('auto'), 'c').groupOf)).toEqual([2, 0, 1, 0, -1]);
    expect(groupValues(['b', 'a', 'b'], parseBinning('auto'), 'c').labels).toEqual(['a', 'b']);
    const many = Array.from({ length: 20 }, (_, i) => i);
    // 20 values 0..19: edges at indices 0, 4 (floor 4.75), 9, 14 (floor 14.25), 19
    expect(quantileEdges(many, 4)).toEqual([0, 4, 9, 14, 19]);
    expect(groupValues(many, parseBinning('auto'), 'c').labels).toEqual(['[0, 4)', '[4, 9)', '[9, 14)', '[14, 19]']);
    expect(() => groupValues(['a'], parseBinning('quantile:3'), 'c')).toThrow(/not numeric/);
  });
});

describe('verdict --by', () => {
  it('the drop per copies group equals a plain loop over the golden flags (student → student_clean)', () => {
    const out = join(dir, 'verdict.json');
    const r = runCli(['verdict', '--before', `${golden}:mem_student`, '--after', `${golden}:mem_student_clean`, '--by', 'copies', '-o', out, '-q']);
    expect(r.status, r.stderr).toBe(0);
    const v = JSON.parse(readFileSync(out, 'utf8'));
    expect(v.by.groups.map((g: any) => g.group)).toEqual(['1', '2', '4', '8', '16']);
    for (const g of v.by.groups) {
      const inGroup = rows.filter((x) => String(Number(x.copies)) === g.group);
      const before = inGroup.filter((x) => x.mem_student).length;
      const after = inGroup.filter((x) => x.mem_student_clean).length;
      expect(g).toEqual({ group: g.group, rows: inGroup.length, memorized: { before, after }, drop: { rows: before - after, fraction: before === 0 ? null : (before - after) / before } });
    }
    // the kit: 336 memorized before, all in the 16-copy group; none after filtering
    expect(v.by.groups.at(-1).memorized).toEqual({ before: 336, after: 0 });
    expect(r.stdout).toMatch(/by copies \(categorical; 0 compared rows without a value\):\n(.|\n)*copies 16: \d+ rows; memorized before 336, after 0; drop 336 \(100\.0%\)/);
  });
});

describe('compare --distill', () => {
  it("puts each student's validation loss beside its memorization rate, and refuses a name no audit has", () => {
    const student = join(dir, 'student-ckpt');
    mkdirSync(student, { recursive: true });
    writeFileSync(join(student, 'distill.json'), JSON.stringify({ mode: 'soft', history: [{ epoch: 1, train_loss: 4, val_loss: 3.75, val_ppl: Math.exp(3.75) }, { epoch: 2, train_loss: 3.5, val_loss: 3.5, val_ppl: Math.exp(3.5) }] }));
    const out = join(dir, 'with-distill.json');
    const r = runCli(['compare', ...audits, '--distill', `student=${student}`, '-o', out, '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).validation.student).toMatchObject({ mode: 'soft', epochs: 2, val_loss: 3.5 });
    expect(r.stdout).toContain(`student: validation loss 3.5000 (ppl ${Math.exp(3.5).toFixed(2)}) beside its memorization rate ${((100 * 336) / 5300).toFixed(2)}%`);
    const bad = runCli(['compare', ...audits, '--distill', `pupil=${student}`, '-o', join(dir, 'never.json')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/memsieve: error: --distill pupil=.*: no --audit is named pupil/);
  });
});
