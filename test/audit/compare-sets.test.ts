// compare at scale: sets from score's memorization columns (name=path:column), the ids in a streamed
// sets file, and sharded runs merged by `memsieve merge` equal to one process. Independent numbers:
// the kit's golden mem_* flags and its report.json overlap counts.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAuditArgument } from '../../src/audit/compare.js';
import { compareShard, ownerOf } from '../../src/audit/compare-shard.js';
import { mergeShards } from '../../src/pipeline/merge.js';
import { markerPath } from '../../src/stage/shard.js';
import { runCli } from '../helpers/cli.js';
import { kitFile, kitGolden, tempDir } from '../helpers/kit.js';
import { readParquetRows } from '../filter/kit-setup.js';

const kitReport = JSON.parse(readFileSync(kitFile('report.json'), 'utf8'));
const MODELS = ['teacher', 'baseline', 'student', 'student_hard'] as const;

function writeLabels(path: string, ids: string[], column: string, labels: (boolean | null)[]) {
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'id', data: ids, type: 'STRING' },
      { name: column, data: labels, type: 'BOOLEAN' },
    ],
  });
}

/** The report without what names the files (paths), which differs between runs. */
function withoutPaths(report: any) {
  const copy = JSON.parse(JSON.stringify(report));
  for (const a of Object.values(copy.audits) as any[]) delete a.path;
  if (copy.sets) delete copy.sets.path;
  return copy;
}

describe('parseAuditArgument', () => {
  it('reads name=path and name=path:column; a colon not followed by a column name stays in the path', () => {
    expect(parseAuditArgument('teacher=t.parquet')).toEqual({ name: 'teacher', path: 't.parquet', column: 'memorized' });
    expect(parseAuditArgument('teacher=out/scores.parquet:teacher_memorized')).toEqual({ name: 'teacher', path: 'out/scores.parquet', column: 'teacher_memorized' });
    expect(parseAuditArgument('student=C:/runs/s.parquet', 'mem')).toEqual({ name: 'student', path: 'C:/runs/s.parquet', column: 'mem' });
    expect(() => parseAuditArgument('teacher')).toThrow(/expected name=path/);
  });
});

describe('compare on the kit golden flags: score columns, sets file, shards', () => {
  const dir = tempDir();
  let golden: Record<string, any>[];
  let ids: string[];
  const paths: Record<string, string> = {};
  let scores: string;

  beforeAll(async () => {
    golden = await kitGolden();
    ids = golden.map((g) => String(g.id));
    // each audit in its own row order: the join is by id
    MODELS.forEach((name, m) => {
      const order = ids.map((_, i) => i);
      if (m % 2 === 1) order.reverse();
      paths[name] = join(dir, `${name}.audit.parquet`);
      writeLabels(paths[name], order.map((i) => ids[i]), 'memorized', order.map((i) => Boolean(golden[i][`mem_${name}`])));
    });
    // a scores file as `memsieve score` writes it: feature columns and teacher_/baseline_memorized
    scores = join(dir, 'scores.parquet');
    parquetWriteFile({
      filename: scores,
      columnData: [
        { name: 'id', data: ids, type: 'STRING' },
        { name: 'teacher_nll', data: golden.map((g) => g.nll_teacher), type: 'DOUBLE' },
        { name: 'teacher_memorized', data: golden.map((g) => Boolean(g.mem_teacher)), type: 'BOOLEAN' },
        { name: 'teacher_lead', data: golden.map((g) => Number(g.lead_teacher)), type: 'INT32' },
        { name: 'baseline_memorized', data: golden.map((g) => Boolean(g.mem_baseline)), type: 'BOOLEAN' },
      ],
    });
  });

  it('teacher and baseline sets from score columns equal those from their audits, and the kit counts', async () => {
    const fromAudits = join(dir, 'audits.json');
    const fromScores = join(dir, 'scores.json');
    const a = runCli(['compare', ...MODELS.flatMap((n) => ['--audit', `${n}=${paths[n]}`]), '--output', fromAudits, '--sets', join(dir, 'audits.sets.parquet')]);
    expect(a.status, a.stderr).toBe(0);
    const b = runCli([
      'compare',
      '--audit', `teacher=${scores}:teacher_memorized`,
      '--audit', `baseline=${scores}:baseline_memorized`,
      '--audit', `student=${paths.student}`,
      '--audit', `student_hard=${paths.student_hard}`,
      '--output', fromScores,
      '--sets', join(dir, 'scores.sets.parquet'),
    ]);
    expect(b.status, b.stderr).toBe(0);
    const ra = JSON.parse(readFileSync(fromAudits, 'utf8'));
    const rb = JSON.parse(readFileSync(fromScores, 'utf8'));
    expect(rb.audits.teacher).toEqual({ path: scores, column: 'teacher_memorized', rows: 5300, null_rows: 0, rows_not_in_every_audit: 0 });
    const strip = (r: any) => {
      const c = withoutPaths(r);
      for (const x of Object.values(c.audits) as any[]) delete x.column;
      return c;
    };
    expect(strip(rb)).toEqual(strip(ra));
    expect(rb.schema).toBe('memsieve.overlap/v2');
    const overlap = kitReport.overlap;
    expect(rb.easy_to_memorize.count).toBe(overlap['teacher&baseline']);
    expect(rb.teacher_only.count).toBe(overlap['teacher_only_not_baseline']);
    expect(rb.students.student.inherited.count).toBe(overlap['inherited_soft(teacher&student&~baseline)']);
    expect(rb.students.student.easy_to_memorize.count).toBe(overlap['student&teacher&baseline']);
    // the sets files are the same rows: the first audit is the teacher in both runs, in corpus order
    const [sa, sb] = await Promise.all([readParquetRows(join(dir, 'audits.sets.parquet')), readParquetRows(join(dir, 'scores.sets.parquet'))]);
    expect(sb).toEqual(sa);
  });

  it('the sets file holds every compared id memorized by some model, with its membership, in the first audit order', async () => {
    const output = join(dir, 'o.json');
    const sets = join(dir, 'o.sets.parquet');
    const result = runCli(['compare', ...MODELS.flatMap((n) => ['--audit', `${n}=${paths[n]}`]), '--output', output, '--sets', sets]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`ids of every set: ${sets}`);
    const rows = await readParquetRows(sets);
    const expected = golden.filter((g) => MODELS.some((n) => g[`mem_${n}`]));
    expect(rows.map((r) => r.id)).toEqual(expected.map((g) => String(g.id)));
    rows.forEach((r, i) => {
      for (const n of MODELS) expect(r[n]).toBe(Boolean(expected[i][`mem_${n}`]));
      expect(r.pattern).toBe(MODELS.filter((n) => expected[i][`mem_${n}`]).join('+'));
    });
    expect(Object.keys(rows[0])).toEqual(['id', ...MODELS, 'pattern']);
    const report = JSON.parse(readFileSync(output, 'utf8'));
    expect(report.sets.rows).toBe(rows.length);
    expect(rows.filter((r) => r.teacher && r.baseline).length).toBe(report.easy_to_memorize.count);
    expect(rows.filter((r) => r.student && r.teacher && !r.baseline).length).toBe(kitReport.overlap['inherited_soft(teacher&student&~baseline)']);
  });

  it('sharded runs (1, 3 and 8 shards) merged by `memsieve merge` equal one process, with missing, extra and null rows', async () => {
    // a harder join: the student lacks 40 rows and has 3 of its own, the baseline has null labels
    const student = join(dir, 'student-partial.parquet');
    const keep = ids.map((_, i) => i).filter((i) => i % 131 !== 5);
    writeLabels(student, [...keep.map((i) => ids[i]), 'extra-1', 'extra-2', 'extra-3'], 'memorized', [...keep.map((i) => Boolean(golden[i].mem_student)), true, false, true]);
    const baseline = join(dir, 'baseline-nulls.parquet');
    writeLabels(baseline, ids, 'memorized', golden.map((g, i) => (i % 97 === 3 ? null : Boolean(g.mem_baseline))));
    const audits = ['--audit', `teacher=${scores}:teacher_memorized`, '--audit', `baseline=${baseline}`, '--audit', `student=${student}`];
    const whole = join(dir, 'whole');
    mkdirSync(whole);
    const one = runCli(['compare', ...audits, '--output', join(whole, 'overlap.json'), '--sets', join(whole, 'sets.parquet'), '--figure', join(whole, 'fig.svg')]);
    expect(one.status, one.stderr).toBe(0);
    const reference = JSON.parse(readFileSync(join(whole, 'overlap.json'), 'utf8'));
    expect(reference.excluded.not_in_every_audit).toBe(ids.length - keep.length + 3);
    expect(reference.excluded.null_in_some_audit).toBeGreaterThan(0);
    const referenceSets = await readParquetRows(join(whole, 'sets.parquet'));

    const check = async (out: string) => {
      const output = join(out, 'overlap.json');
      expect(withoutPaths(JSON.parse(readFileSync(output, 'utf8')))).toEqual(withoutPaths(reference));
      expect(await readParquetRows(join(out, 'sets.parquet'))).toEqual(referenceSets);
      expect(readFileSync(join(out, 'fig.svg'), 'utf8')).toBe(readFileSync(join(whole, 'fig.svg'), 'utf8'));
      expect(existsSync(`${output}.parts`)).toBe(false);
      expect(existsSync(`${join(out, 'sets.parquet')}.parts`)).toBe(false);
    };
    // through the CLI: the shard flags and `memsieve merge`
    const cli = join(dir, 'shards-cli');
    mkdirSync(cli);
    for (let index = 0; index < 2; index++) {
      const r = runCli(['compare', ...audits, '--output', join(cli, 'overlap.json'), '--sets', join(cli, 'sets.parquet'), '--figure', join(cli, 'fig.svg'), '--shard-index', String(index), '--shard-count', '2']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`compare shard ${index} of 2`);
      expect(existsSync(join(cli, 'overlap.json'))).toBe(false);
    }
    const merged = runCli(['merge', join(cli, 'overlap.json')]);
    expect(merged.status, merged.stderr).toBe(0);
    await check(cli);
    // more shard counts through the API, in this process
    const options = (out: string) => ({ audits: audits.filter((_, i) => i % 2 === 1), output: join(out, 'overlap.json'), sets: join(out, 'sets.parquet'), figure: join(out, 'fig.svg') });
    for (const count of [1, 3, 8]) {
      const out = join(dir, `shards-${count}`);
      mkdirSync(out);
      for (let index = 0; index < count; index++) await compareShard(options(out), { index, count });
      // every rank owned some ids
      expect(new Set(ids.map((id) => ownerOf(id, count))).size).toBe(count);
      await mergeShards(join(out, 'overlap.json'));
      await check(out);
    }
  });

  it('bad input: a missing column named, an output over an input, a duplicate id in a shard run; nothing written', () => {
    const output = join(dir, 'bad.json');
    const missing = runCli(['compare', '--audit', `teacher=${scores}:teacher_memorised`, '--audit', `student=${paths.student}`, '--output', output]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`--audit teacher=${scores} has no column "teacher_memorised" for labels (its columns: `);
    const over = runCli(['compare', '--audit', `teacher=${paths.teacher}`, '--audit', `student=${paths.student}`, '--output', join(dir, 'x.json'), '--sets', paths.student]);
    expect(over.status).toBe(2);
    expect(over.stderr).toMatch(/--sets .* is the same file as --audit .*no command writes over its input/); // the central check (src/io/no-overwrite.ts)
    const dup = join(dir, 'dup.parquet');
    writeLabels(dup, [...ids, ids[10]], 'memorized', [...ids.map(() => false), true]);
    const owner = ownerOf(ids[10], 2);
    const shard = runCli(['compare', '--audit', `teacher=${paths.teacher}`, '--audit', `student=${dup}`, '--output', output, '--shard-index', String(owner), '--shard-count', '2']);
    expect(shard.status).toBe(2);
    expect(shard.stderr).toContain(`id '${ids[10]}' appears twice (rows 10 and 5300)`);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(markerPath(output, owner, 2))).toBe(false);
  });
});
