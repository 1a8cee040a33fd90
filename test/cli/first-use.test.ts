// What a new user tripped on (issue 19), each as the user met it: folders where a corpus or scores file
// goes, "no column" errors that list the file's columns and the name meant, hints naming flags the
// command has, one fraction syntax (0.1 or 10%) on every fraction option, and one usage line after a
// usage error rather than the whole help.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { closestNames } from '../../src/io/missing-column.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { kitFile, tempDir } from '../helpers/kit.js';
import { makeKitInputs, type KitInputs } from '../filter/kit-setup.js';

const golden = kitFile('golden.parquet');
let kit: KitInputs;
let dir: string;
beforeAll(async () => {
  kit = await makeKitInputs();
  dir = tempDir('memsieve-first-use-');
});

function expectUsageError(result: CliResult, message: RegExp) {
  expect(result.status, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/^memsieve: error: /);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const filterArgs = (input: string, scores: string, out: string, extra: string[] = []) => [
  'filter', '--input', input, '--scores', scores, '--model', kit.model,
  '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'), '--report', join(out, 'report'), '--quiet', ...extra,
];

describe('folders wherever a corpus or scores file goes', () => {
  it('filter --input <folder> --scores <folder> removes what the files do, and verify checks it', () => {
    const corpus = join(dir, 'corpus');
    const scores = join(dir, 'scores');
    mkdirSync(corpus);
    mkdirSync(scores);
    copyFileSync(kit.corpus, join(corpus, 'part-0.parquet'));
    copyFileSync(kit.scores, join(scores, 'part-0.parquet'));
    const [byFolder, byFile] = [join(dir, 'by-folder'), join(dir, 'by-file')];
    const folders = runCli(filterArgs(corpus, scores, byFolder, ['--remove-top', '5%']));
    expect(folders.status, folders.stderr).toBe(0);
    const files = runCli(filterArgs(kit.corpus, kit.scores, byFile, ['--remove-top', '5%']));
    expect(files.status, files.stderr).toBe(0);
    const removed = (out: string) => readFileSync(join(out, 'report', 'removed-rows.jsonl'), 'utf8');
    expect(removed(byFolder)).toBe(removed(byFile));
    // at least the 5% riskiest rows (rows tied with the cut go too)
    expect(removed(byFolder).trim().split('\n').length).toBeGreaterThanOrEqual(Math.ceil(0.05 * kit.ids.length));
    // the report says which corpus its recall was measured on: the model's training corpus, here this one
    expect(readFileSync(join(byFile, 'report', 'report.html'), 'utf8')).toMatch(/recall \/ FPR at threshold, validation split of the training corpus \(this one\)<\/th><td>\d\.\d{4} \/ \d\.\d{4} \(risk\.json/);
    const verify = runCli(['verify', '--report', join(byFolder, 'report'), '--check-risk', '--quiet']);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  }, 240_000);
});

describe('"no column": the file\'s columns and the name meant', () => {
  it('closestNames: a misspelling, then a shared word stem, else nothing', () => {
    expect(closestNames('baseline_leed', ['id', 'baseline_lead', 'teacher_lead'])).toEqual(['baseline_lead']);
    expect(closestNames('teacher_memorised', ['teacher_memorized', 'baseline_memorized'])).toEqual(['teacher_memorized']);
    expect(closestNames('memorized', ['id', 'nll_teacher', 'mem_teacher', 'mem_student'])).toEqual(['mem_teacher', 'mem_student']);
    expect(closestNames('label', ['id', 'text'])).toEqual([]);
  });

  it('train --labels on a file without "memorized": lists the file\'s 28 columns, not the one it read', () => {
    const r = runCli(['train', '--scores', kit.scores, '--labels', golden, '--output', join(dir, 'risk.json'), '--trials', '2']);
    expectUsageError(r, /--labels .*golden\.parquet has no column "memorized" \(its columns: id, n_tokens, .*mem_student.*, copies\); did you mean one of .*"mem_student".*--label-column/);
  });

  it("filter --rule on a misspelled column: the scores file's columns and the right name", () => {
    const r = runCli(['filter', '--input', kit.corpus, '--scores', kit.scores, '--rule', 'teacher_ppx >= 20', '--clean', join(dir, 'c.parquet'), '--removed', join(dir, 'r.parquet'), '--report', join(dir, 'rule-report'), '--quiet']);
    expectUsageError(r, /has no column "teacher_ppx" for --rule 'teacher_ppx >= 20' \(its columns: id, teacher_ppl, baseline_ppl, kl_teacher_baseline, zlib_entropy\); did you mean "teacher_ppl"\?/);
  });

  it("verdict's suggested path:COLUMN is syntax verdict takes", () => {
    const out = join(dir, 'verdict.json');
    const wrong = runCli(['verdict', '--before', `${golden}:mem_student`, '--after', `${golden}:mem_studnet`, '-o', out]);
    expectUsageError(wrong, /--after .*golden\.parquet has no column "mem_studnet" for labels .*did you mean "mem_student"\?.*name it: --after .*golden\.parquet:COLUMN/);
    const right = runCli(['verdict', '--before', `${golden}:mem_student`, '--after', `${golden}:mem_student_clean`, '-o', out]);
    expect(right.status, right.stderr).toBe(0);
    const verdict = JSON.parse(readFileSync(out, 'utf8'));
    // the columns asked for were read: the kit's student memorized these rows (golden's mem_student)
    expect(verdict.memorized.before).toBe(kit.memStudent.filter(Boolean).length);
    expect(verdict.criteria).toEqual({ max_after: null, min_drop: null });
  });
});

describe('hints name flags the command has', () => {
  it('a missing --after, --audit or --input file says which option to check', () => {
    const missing = join(dir, 'no-such.parquet');
    expectUsageError(runCli(['verdict', '--before', `${golden}:mem_student`, '--after', missing, '-o', join(dir, 'v.json')]), /no-such\.parquet: no such file or directory; check --after$/m);
    expectUsageError(runCli(['compare', '--audit', `teacher=${missing}`, '--audit', `student=${golden}:mem_student`, '-o', join(dir, 'c.json')]), /no-such\.parquet: no such file or directory; check --audit$/m);
    expectUsageError(runCli(filterArgs(missing, kit.scores, join(dir, 'x'))), /no-such\.parquet: no such file or directory; check --input$/m);
  });

  it('a CSV file: evaluate (no --format) says to convert it; sample (which has --format) offers --format', () => {
    const csv = join(dir, 'scores.csv');
    writeFileSync(csv, 'id,teacher_ppl\na,1\n');
    const evaluate = runCli(['evaluate', '--model', kit.model, '--scores', csv, '--labels', golden, '--label-column', 'mem_student', '--output', join(dir, 'e.json')]);
    expectUsageError(evaluate, /--scores .*scores\.csv: cannot tell the format from the extension.*CSV is not read: convert it to Parquet or JSONL/);
    expect(evaluate.stderr).not.toContain('--format');
    const sample = runCli(['sample', '-i', csv, '-o', join(dir, 's.parquet'), '--fraction', '0.5']);
    expectUsageError(sample, /--input .*scores\.csv: cannot tell the format.*or pass --format parquet\|arrow\|jsonl/);
  });
});

describe('one fraction syntax, and one usage line after a usage error', () => {
  it('sample --fraction 10% is --fraction 0.1', () => {
    const [a, b] = [join(dir, 'a.jsonl'), join(dir, 'b.jsonl')];
    expect(runCli(['sample', '-i', kit.corpus, '-o', a, '--fraction', '10%', '-q']).status).toBe(0);
    expect(runCli(['sample', '-i', kit.corpus, '-o', b, '--fraction', '0.1', '-q']).status).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    expect(readFileSync(a, 'utf8').trim().split('\n').length).toBeGreaterThan(0);
  });

  it('evaluate --target-recall 99% is 0.99; verdict --min-drop 90% is 0.9', () => {
    const run = (recall: string) => {
      const output = join(dir, `eval-${recall.replace('%', 'pct')}.json`);
      const r = runCli(['evaluate', '--model', kit.model, '--scores', kit.scores, '--labels', golden, '--label-column', 'mem_student', '--target-recall', recall, '--output', output, '-q']);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(readFileSync(output, 'utf8'));
    };
    const [percent, share] = [run('99%'), run('0.99')];
    expect(percent.threshold).toEqual(share.threshold);
    expect(percent.threshold.requested).toBe(0.99);
    const verdict = (drop: string) => {
      const output = join(dir, `verdict-${drop.replace('%', 'pct')}.json`);
      const r = runCli(['verdict', '--before', `${golden}:mem_student`, '--after', `${golden}:mem_student_clean`, '--min-drop', drop, '-o', output]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(readFileSync(output, 'utf8'));
    };
    expect(verdict('90%').criteria).toEqual({ max_after: null, min_drop: 0.9 });
    expect(verdict('0.9').criteria).toEqual({ max_after: null, min_drop: 0.9 });
  });

  it('a fraction out of range names the option; a usage error prints the reason and one usage line, not the help', () => {
    expectUsageError(runCli(['sample', '-i', kit.corpus, '-o', join(dir, 'x.parquet'), '--fraction', '150%']), /--fraction 150%: expected a fraction in \(0, 1\] or a percentage/);
    expectUsageError(runCli(['train', '--scores', kit.scores, '--labels', golden, '--output', join(dir, 'x.json'), '--test-fraction', '1']), /--test-fraction 1: expected a fraction in \(0, 1\)/);
    const r = runCli(['filter', '--input', kit.corpus]);
    expectUsageError(r, /^memsieve: error: required option '--scores <file>' not specified\nusage: memsieve filter --input <files\.\.\.> --scores <file> .*\[options\]; 'memsieve filter --help' lists every option\n$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    expect(readdirSync(dir)).not.toContain('x.parquet');
  });
});

describe('wrong input, wrong output: said, not silent', () => {
  it('compare: a misspelled role is refused with the name meant; free labels without a student are warned about', () => {
    const output = join(dir, 'overlap.json');
    const typo = runCli(['compare', '--audit', `teacher=${kit.scores}:teacher_memorized`, '--audit', `studnet=${golden}:mem_student`, '-o', output]);
    expectUsageError(typo, /--audit studnet=.*"studnet" is not a name compare knows; did you mean "student"\?/);
    const free = runCli(['compare', '--audit', `teacher=${golden}:mem_teacher`, '--audit', `baseline=${golden}:mem_baseline`, '--audit', `pilot=${golden}:mem_student`, '-o', output]);
    expect(free.status, free.stderr).toBe(0);
    expect(free.stderr).toMatch(/^memsieve: warning: no --audit is named student \(or student_…\): the students' sets \(inherited, student_only\) are left out/m);
    expect(JSON.parse(readFileSync(output, 'utf8')).memorized.pilot.count).toBe(kit.memStudent.filter(Boolean).length);
  });

  it("verdict --removed: the filter's D_clean is refused (Parquet says which side it is; a file that cannot say is judged by its size)", () => {
    const out = join(dir, 'for-verdict');
    const filtered = runCli(filterArgs(kit.corpus, kit.scores, out, ['--remove-top', '5%']));
    expect(filtered.status, filtered.stderr).toBe(0);
    // the golden file's columns carry no provenance: verdict says so first, in one warning line, then refuses
    const verdict = (removed: string) => {
      const r = runCli(['verdict', '--before', `${golden}:mem_student`, '--after', `${golden}:mem_student_clean`, '--removed', removed, '-o', join(dir, 'v-removed.json')]);
      const warnings = r.stderr.match(/^memsieve: warning: .*\n/gm) ?? [];
      expect(warnings.length, r.stderr).toBe(1);
      expect(warnings[0]).toMatch(/provenance/);
      return { ...r, stderr: r.stderr.replace(warnings[0], '') };
    };
    expectUsageError(verdict(join(out, 'clean.parquet')), /--removed .*clean\.parquet is the filter's D_clean \(the rows it kept\), not its removed rows; give the filter's --removed file or its --report folder/);
    const cleanJsonl = join(dir, 'clean.jsonl');
    expect(runCli(['sample', '-i', join(out, 'clean.parquet'), '-o', cleanJsonl, '--fraction', '100%', '-q']).status).toBe(0);
    // sample keeps the mark in the JSONL's metadata sidecar; without the sidecar the file is judged by its size
    expectUsageError(verdict(cleanJsonl), /--removed .*clean\.jsonl is the filter's D_clean \(the rows it kept\)/);
    rmSync(`${cleanJsonl}.metadata.json`);
    expectUsageError(verdict(cleanJsonl), /--removed .*clean\.jsonl: \d+ of the 5300 compared rows are in it \(9\d\.\d%\), more than a filter removes: is it D_clean\?/);
    for (const removed of [join(out, 'removed.parquet'), join(out, 'report')]) {
      const r = verdict(removed);
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(readFileSync(join(dir, 'v-removed.json'), 'utf8'));
      expect(result.removed.rows).toBe(readFileSync(join(out, 'report', 'removed-rows.jsonl'), 'utf8').trim().split('\n').length);
    }
  }, 120_000);
});
