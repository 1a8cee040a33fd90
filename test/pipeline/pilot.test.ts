// pipelines/pilot.yaml end to end on CPU with tiny models made here: a teacher trained with cross-entropy
// until it memorizes the corpus, a baseline-shaped student config, and a corpus where 8 texts repeat 8
// times (the rows a soft student memorizes). Then the same run killed during the last distillation and
// resumed, and the verdict gating the run. The verdict's figures are recounted here from the audits.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kitFile, readParquetRows, tempDir } from '../helpers/kit.js';
import { lacks } from '../helpers/system.js';
import { buildOnce, CLI, ROOT } from './build.js';
import { makeMemorizingTeacher, repeatedCorpus, writeRows } from './memorizing-kit.js';

const PILOT_YAML = join(ROOT, 'pipelines', 'pilot.yaml');
const dir = tempDir('memsieve-pilot-');
const REPEATED = 8;
const COPIES = 8;
const UNIQUE = 96;

interface Run {
  status: number | null;
  output: string;
}

function memsieve(args: string[]): Promise<Run> & { pid: number } {
  // its own process group, so a kill takes the run and the trainer it started together (as a scheduler does)
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<Run>((resolve) => child.once('close', (status) => resolve({ status, output })));
  return Object.assign(done, { pid: child.pid! });
}

const pilotArgs = (out: string, yaml = PILOT_YAML) => [
  'run', yaml,
  '--set', `corpus=${join(dir, 'corpus.parquet')}`, '--set', `validation=${join(dir, 'validation.parquet')}`,
  '--set', `teacher=${join(dir, 'teacher')}`, '--set', `baseline=${join(dir, 'baseline')}`, '--set', `tokenizer=${kitFile('tokenizer.json')}`,
  '--set', `out=${out}`, '--set', 'device=cpu', '--set', 'max_tokens=24', '--set', 'prefix_tokens=8', '--set', 'suffix_tokens=8',
  '--set', 'epochs=25', '--set', 'lr=1e-2', '--set', 'batch_size=64', '--set', 'warmup_steps=0', '--set', 'pilot_fraction=0.5',
];

/** The run's result, without the paths that name its folder. */
function verdictNumbers(out: string) {
  const { audits: _a, removed, validation, ...rest } = JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8'));
  return { ...rest, removed: { ...removed, source: undefined }, validation: { before: validation.before.val_loss, after: validation.after.val_loss } };
}

function leftovers(folder: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (/\.tmp-|\.partial-|\.resume$|^run\.lock$/.test(entry.name)) found.push(relative(folder, path));
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(folder);
  return found;
}

const reference = join(dir, 'reference');

// the pilot distills tiny PyTorch models: skipped without python3-torch (npm test only)
const noTorch = lacks('python3-torch');

beforeAll(async () => {
  if (noTorch) return;
  await buildOnce();
  const { rows, spare } = await repeatedCorpus(REPEATED, COPIES, UNIQUE);
  rows.sort((a, b) => (a.id < b.id ? -1 : 1)); // copies spread over the row groups
  await writeRows(join(dir, 'corpus.parquet'), rows, 40);
  await writeRows(join(dir, 'validation.parquet'), spare.slice(0, 16), 16);
  // the teacher learns the corpus by heart, as the kit's teacher did
  makeMemorizingTeacher(dir, join(dir, 'corpus.parquet'));

  const run = await memsieve(pilotArgs(reference));
  expect(run.status, run.output).toBe(0);
}, 1_800_000);

describe.skipIf(noTorch)('pipelines/pilot.yaml on CPU with tiny models', () => {
  it('labels a pilot set, filters the whole corpus, distills on D_clean and writes the verdict the audits give', async () => {
    const corpus = await readParquetRows(join(dir, 'corpus.parquet'));
    const pilot = await readParquetRows(join(reference, 'pilot.parquet'));
    // the pilot holds every copy of a text or none; it has the scores' feature columns for train
    const pilotTexts = new Set(pilot.map((r) => r.text));
    expect(pilot.length).toBe(corpus.filter((r) => pilotTexts.has(r.text)).length);
    expect(Object.keys(pilot[0])).toEqual(expect.arrayContaining(['id', 'text', 'copies', 'teacher_ppl', 'baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy']));

    const auditPilot = await readParquetRows(join(reference, 'audit-pilot.parquet'));
    const auditClean = await readParquetRows(join(reference, 'audit-clean.parquet'));
    const removedIds = new Set((await readParquetRows(join(reference, 'removed.parquet'))).map((r) => r.id as string));
    const memorizedBefore = new Set(auditPilot.filter((r) => r.memorized === true).map((r) => r.id as string));
    const memorizedAfter = new Set(auditClean.filter((r) => r.memorized === true).map((r) => r.id as string));
    // the labels are real: the pilot student memorized rows of the repeated texts in the pilot
    expect(memorizedBefore.size).toBeGreaterThanOrEqual(COPIES);
    expect(auditClean.length).toBe(corpus.length);

    const verdict = JSON.parse(readFileSync(join(reference, 'verdict.json'), 'utf8'));
    const pilotIds = pilot.map((r) => r.id as string);
    const after = pilotIds.filter((id) => memorizedAfter.has(id)).length;
    expect(verdict.rows.compared).toBe(pilot.length);
    expect(verdict.memorized.before).toBe(memorizedBefore.size);
    expect(verdict.memorized.after).toBe(after);
    expect(verdict.drop.fraction).toBeCloseTo((memorizedBefore.size - after) / memorizedBefore.size, 12);
    expect(verdict.after_all.memorized).toBe(memorizedAfter.size);
    expect(verdict.after_all.in_removed.count).toBe([...memorizedAfter].filter((id) => removedIds.has(id)).length);
    expect(verdict.after_all.in_clean.count).toBe([...memorizedAfter].filter((id) => !removedIds.has(id)).length);
    expect(verdict.removed.before_memorized_removed).toBe([...memorizedBefore].filter((id) => removedIds.has(id)).length);
    const lastValLoss = (student: string) => JSON.parse(readFileSync(join(reference, student, 'distill.json'), 'utf8')).history.at(-1).val_loss;
    expect(verdict.validation.before.val_loss).toBe(lastValLoss('student-pilot'));
    expect(verdict.validation.after.val_loss).toBe(lastValLoss('student-clean'));
    expect(verdict.passed).toBe(verdict.drop.fraction >= 0.5);
  });

  it('killed during the last distillation, resumes there and ends with the uninterrupted run\'s results', async () => {
    const out = join(dir, 'killed');
    // progress on, so the rerun shows distill picking up its resume point
    const verbose = join(dir, 'pilot-verbose.yaml');
    writeFileSync(verbose, readFileSync(PILOT_YAML, 'utf8').replaceAll('      quiet: true\n', ''));
    const first = memsieve(pilotArgs(out, verbose));
    const resumePoint = join(out, 'student-clean.resume', 'state.pt');
    for (;;) {
      if (existsSync(resumePoint)) break;
      const exited = await Promise.race([first, new Promise((r) => setTimeout(() => r(null), 200))]);
      if (exited) throw new Error(`the run ended before it could be killed:\n${(exited as Run).output}`);
    }
    process.kill(-first.pid, 'SIGKILL');
    await first;

    const second = await memsieve(pilotArgs(out, verbose));
    expect(second.status, second.output).toBe(0);
    expect(second.output).toMatch(/distill: resuming an interrupted run after epoch \d+/);
    for (const step of ['score', 'sample', 'distill-pilot', 'audit-pilot', 'train', 'filter', 'verify']) expect(second.output).toMatch(new RegExp(`step ${step} \\(\\w+\\): complete, skipped`));
    expect(second.output).toMatch(/step distill-clean \(distill\): not run yet; running/);
    const history = (folder: string) => JSON.parse(readFileSync(join(folder, 'student-clean', 'distill.json'), 'utf8')).history;
    expect(history(out)).toEqual(history(reference));
    expect(await readParquetRows(join(out, 'audit-clean.parquet'))).toEqual(await readParquetRows(join(reference, 'audit-clean.parquet')));
    expect(verdictNumbers(out)).toEqual(verdictNumbers(reference));
    expect(leftovers(out)).toEqual([]);
  });

  it('a verdict that is not met fails the run: the verdict step exits 3 and run names it', async () => {
    // before and after swapped: the D_clean student "before" memorized less than the pilot student "after"
    const swapped = join(dir, 'pilot-swapped.yaml');
    writeFileSync(swapped, readFileSync(PILOT_YAML, 'utf8')
      .replace('before: ${out}/audit-pilot.parquet', 'before: ${out}/AUDIT_CLEAN')
      .replace('after: ${out}/audit-clean.parquet', 'after: ${out}/audit-pilot.parquet')
      .replace('${out}/AUDIT_CLEAN', '${out}/audit-clean.parquet'));
    const out = join(dir, 'killed');
    const run = await memsieve([...pilotArgs(out, swapped), '--only', 'verdict']);
    expect(run.status).toBe(2);
    expect(run.output).toMatch(/step "verdict": memsieve verdict exited with status 3/);
    expect(run.output).toMatch(/verdict: FAILED/);
    expect(JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8')).passed).toBe(false);
    expect(existsSync(join(out, '.memsieve', 'steps', 'verdict.done.json'))).toBe(false);
  });
});
