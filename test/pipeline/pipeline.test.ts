// The kit pipeline (score → audit → train → filter → verify) on a 200-row slice: sharded runs, runs
// killed with SIGKILL and resumed, and runs through a real single-node Slurm must all give the
// single-process result row for row.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bool, Float64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { openWriter } from '../../src/io/index.js';
import { readFileMetadata } from '../../src/io/metadata.js';
import { withSchemaMetadata } from '../../src/io/index.js';
import { FEATURES, makeKitInputs } from '../filter/kit-setup.js';
import { missingShards } from '../../src/stage/shard.js';
import { tempDir } from '../helpers/kit.js';
import { buildOnce, CLI, ROOT } from './build.js';
import { readRows, SHORT_TEXTS, writeKitSlice } from './kit-slice.js';
import { slurmUnavailable, startSlurmCluster, type SlurmCluster } from './slurm-cluster.js';

const KIT_YAML = join(ROOT, 'pipelines', 'kit.yaml');
const ROW_FILES = ['scores.parquet', 'audit-student.parquet', 'clean.parquet', 'removed.parquet'];

interface Run {
  status: number | null;
  stderr: string;
}

function memsieve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> & { pid: number } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.once('close', (status) => resolve({ status, stderr })));
  return Object.assign(done, { pid: child.pid! });
}

/** apply.yaml's models: no defaults, the kit's named */
const KIT_MODELS = ['teacher.onnx', 'baseline.onnx', 'tokenizer.json'].flatMap((file) => ['--set', `${file.split('.')[0]}=${join(ROOT, 'fixtures', 'brown-tiny', file)}`]);

const kitArgs = (corpus: string, out: string, ...more: string[]) => ['run', KIT_YAML, '--set', `corpus=${corpus}`, '--set', `out=${out}`, ...more];

function stable(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Every row file, the risk model's fit and the removal manifest equal the reference's. */
async function expectSameResults(out: string, reference: string): Promise<void> {
  for (const name of ROW_FILES) {
    const [got, want] = await Promise.all([readRows(join(out, name)), readRows(join(reference, name))]);
    expect(want.length, name).toBeGreaterThan(0);
    expect(got.map(stable), name).toEqual(want.map(stable));
  }
  const risk = (dir: string) => {
    const { provenance: _, ...fit } = JSON.parse(readFileSync(join(dir, 'risk.json'), 'utf8'));
    return fit;
  };
  expect(risk(out)).toEqual(risk(reference));
  const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'report', 'manifest.json'), 'utf8'));
  const [got, want] = [manifest(out), manifest(reference)];
  for (const key of ['summary', 'threshold', 'removed_rows', 'distributions', 'fingerprint'] as const) expect(got[key], key).toEqual(want[key]);
  const removedList = (dir: string) => readFileSync(join(dir, 'report', 'removed-rows.jsonl'), 'utf8');
  expect(removedList(out)).toBe(removedList(reference));
  const topRows = (dir: string) => readFileSync(join(dir, 'report', 'report.html'), 'utf8').split('<h2>Removed rows</h2>')[1];
  expect(topRows(out)).toBe(topRows(reference));
  for (const key of ['input', 'clean', 'removed'] as const) {
    expect(got[key].rows, key).toBe(want[key].rows);
    expect(got[key].fingerprint, key).toBe(want[key].fingerprint);
  }
  expect(got.command_line).not.toContain('--shard-index');
}

/** Files a killed writer could leave: temp files, parts folders, the run lock. */
function leftovers(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (/\.tmp-|\.partial-|\.parts$|^run\.lock$/.test(entry.name)) found.push(relative(dir, path));
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return found;
}

/** Live (not zombie) processes with `needle` in their command line, read from /proc. */
function processesWith(needle: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
        return state !== 'Z' && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Waits up to `seconds` for the processes with `needle` in their command line to end; returns those left. */
async function processesLeft(needle: string, seconds: number): Promise<number[]> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const left = processesWith(needle);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}

let dir: string;
let corpus: string;

/** A copy of a kit pipeline file whose filter step removes the top 10%. */
function withRemoveTop(from: string, to: string): string {
  const text = readFileSync(from, 'utf8').replaceAll('${pipeline_dir}', join(ROOT, 'pipelines'));
  writeFileSync(to, text.replace('      report: ${out}/report\n\n', '      report: ${out}/report\n    options:\n      remove-top: 10%\n\n'));
  return to;
}

/** The pipeline's sharded --remove-top filter equals `memsieve filter --remove-top 10%` in one process on the same scores and model. */
async function expectSameAsOneFilter(out: string, single: string): Promise<void> {
  mkdirSync(single);
  const one = await memsieve(['filter', '--input', corpus, '--scores', join(out, 'scores.parquet'), '--model', join(out, 'risk.json'), '--remove-top', '10%',
    '--clean', join(single, 'clean.parquet'), '--removed', join(single, 'removed.parquet'), '--report', join(single, 'report')]);
  expect(one.status, one.stderr).toBe(0);
  for (const name of ['clean.parquet', 'removed.parquet']) {
    const [got, want] = await Promise.all([readRows(join(out, name)), readRows(join(single, name))]);
    expect(got.map(stable), name).toEqual(want.map(stable));
  }
  const manifest = (d: string) => JSON.parse(readFileSync(join(d, 'report', 'manifest.json'), 'utf8'));
  for (const key of ['summary', 'threshold', 'removed_rows', 'distributions', 'fingerprint'] as const) expect(manifest(out)[key], key).toEqual(manifest(single)[key]);
  expect(manifest(out).scores.files[0].sha256).toBe(manifest(single).scores.files[0].sha256);
  expect(manifest(out).threshold).toMatchObject({ method: 'remove_top', requested: 0.1 });
  expect(leftovers(out)).toEqual([]);
}

let reference: string;

beforeAll(async () => {
  await buildOnce();
  dir = tempDir('memsieve-pipeline-');
  corpus = await writeKitSlice(dir);
  reference = join(dir, 'reference');
  const run = await memsieve(kitArgs(corpus, reference));
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toMatch(/verified: 200 input rows/);
  // the short rows: both unaudited (left out of training), the one-token row kept unscored
  expect(JSON.parse(readFileSync(join(reference, 'risk.json'), 'utf8')).provenance.unlabelled_rows).toBe(SHORT_TEXTS.size);
  expect(JSON.parse(readFileSync(join(reference, 'report', 'manifest.json'), 'utf8')).summary.unscored).toBe(1);
}, 600_000);

describe('memsieve run, local executor', () => {
  it('resumes a sharded run killed with SIGKILL to the single-process result, leaving no temp files', async () => {
    const out = join(dir, 'killed');
    const first = memsieve(kitArgs(corpus, out, '--shards', '4', '--workers', '2'));
    // kill the runner once audit has finished a shard: score merged, audit half done
    const auditParts = join(out, 'audit-student.parquet.parts');
    for (;;) {
      if (existsSync(auditParts) && readdirSync(auditParts).some((n) => n.endsWith('.done.json'))) break;
      const exited = await Promise.race([first, new Promise((r) => setTimeout(() => r(null), 200))]);
      if (exited) throw new Error(`the run ended before it could be killed:\n${(exited as Run).stderr}`);
    }
    process.kill(first.pid, 'SIGKILL');
    expect((await first).status).toBe(null);
    // its shard processes die with it (orphan guard) instead of racing the next run; a busy
    // machine may delay their timers by some seconds
    expect(await processesLeft(out, 20)).toEqual([]);
    const pending = await missingShards(join(out, 'audit-student.parquet'), 4);
    expect(pending.length).toBeLessThan(4);

    const second = await memsieve(kitArgs(corpus, out, '--shards', '4', '--workers', '2'));
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/step score \(score\): complete, skipped/);
    expect(second.stderr).toContain(`running shards ${pending.join(', ')} of 4`);
    await expectSameResults(out, reference);
    // score's parts were kept for filter (shard i joined part i only), then removed
    for (let i = 0; i < 4; i++) expect(readFileSync(join(out, '.memsieve', 'logs', 'filter', `shard-${i}.log`), 'utf8')).toMatch(/shard-local join with 1 score part/);
    expect(second.stderr).toMatch(/filter: removed the score parts kept for it/);
    expect(leftovers(out)).toEqual([]);
  }, 900_000);

  it('SIGINT to the runner ends its shard processes before the runner exits', async () => {
    const out = join(dir, 'interrupted');
    const run = memsieve(kitArgs(corpus, out, '--shards', '4', '--workers', '2'));
    // the runner and its two score shards (each has the output folder in its command line)
    while (processesWith(out).length < 3) {
      const exited = await Promise.race([run, new Promise((r) => setTimeout(() => r(null), 100))]);
      if (exited) throw new Error(`the run ended before it could be interrupted:\n${(exited as Run).stderr}`);
    }
    process.kill(run.pid, 'SIGINT');
    expect((await run).status).toBe(null);
    // the runner killed them before re-raising the signal (the orphan guard alone takes up to a quarter
    // second, more while a shard loads its models): none is left when the runner's exit is seen
    expect(await processesLeft(out, 0.1)).toEqual([]);
  }, 300_000);

  it('skips complete steps and reruns the ones whose configuration changed', async () => {
    const out = join(dir, 'killed');
    const again = await memsieve(kitArgs(corpus, out));
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr.match(/complete, skipped/g)).toHaveLength(5);

    // one more train option: train reruns, filter and verify follow (their input changed), score and audit stay
    const changed = join(dir, 'kit-changed.yaml');
    writeFileSync(changed, readFileSync(KIT_YAML, 'utf8').replace('label-column: memorized', 'label-column: memorized\n      trials: 20').replaceAll('${pipeline_dir}', join(ROOT, 'pipelines')));
    const rerun = await memsieve(['run', changed, '--set', `corpus=${corpus}`, '--set', `out=${out}`]);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/step score \(score\): complete, skipped/);
    expect(rerun.stderr).toMatch(/step audit \(audit\): complete, skipped/);
    expect(rerun.stderr).toMatch(/step train \(train\): its configuration changed; running/);
    expect(rerun.stderr).toMatch(/step filter \(filter\): an input changed; running/);
    expect(rerun.stderr).toMatch(/step verify \(verify\): an input changed; running/);
    expect(JSON.parse(readFileSync(join(out, 'risk.json'), 'utf8')).provenance.trials).toBe(20);
  }, 600_000);

  it('a sharded --remove-top runs the threshold step (4 map ranks, then the reduce) and equals one process', async () => {
    const out = join(dir, 'killed');
    const top = withRemoveTop(join(dir, 'kit-changed.yaml'), join(dir, 'kit-top.yaml'));
    const run = await memsieve(['run', top, '--set', `corpus=${corpus}`, '--set', `out=${out}`, '--shards', '4', '--workers', '2']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/step filter\.threshold \(threshold\): the corpus-wide --remove-top cut \(reduce step\); 4 shards/);
    expect(run.stderr).toMatch(/filter\.threshold: merged 4 shards/);
    await expectSameAsOneFilter(out, join(dir, 'top-single'));
  }, 600_000);

  it('pipelines/apply.yaml applies the trained risk model: the same scores, the rows at the target recall removed', async () => {
    const out = join(dir, 'apply');
    const risk = join(reference, 'risk.json');
    const run = await memsieve(['run', join(ROOT, 'pipelines', 'apply.yaml'), '--set', `corpus=${corpus}`, '--set', `risk=${risk}`, '--set', `out=${out}`, ...KIT_MODELS]);
    expect(run.status, run.stderr).toBe(0);
    const [scores, referenceScores] = await Promise.all([readRows(join(out, 'scores.parquet')), readRows(join(reference, 'scores.parquet'))]);
    expect(scores.map(stable)).toEqual(referenceScores.map(stable));
    // the threshold of recall 0.99 on the model's validation ROC (highest first), and every scored row at or above it
    const model = JSON.parse(readFileSync(risk, 'utf8'));
    const threshold = model.roc.thresholds[model.roc.tpr.findIndex((tpr: number, i: number) => tpr >= 0.99 && Number.isFinite(model.roc.thresholds[i]))];
    const riskOf = (row: Record<string, any>) =>
      1 / (1 + Math.exp(-model.features.reduce((z: number, name: string, j: number) => z + (model.coefficients[j] * (row[name] - model.scaler.mean[j])) / model.scaler.std[j], model.intercept)));
    const expected = scores.filter((row) => row.teacher_ppl !== null && riskOf(row) >= threshold).map((row) => row.id);
    const removed = await readRows(join(out, 'removed.parquet'));
    expect(removed.map((row) => row.id)).toEqual(expected);
    expect(JSON.parse(readFileSync(join(out, 'report', 'manifest.json'), 'utf8')).threshold).toMatchObject({ method: 'target_recall', requested: 0.99, value: threshold });
  }, 600_000);

  it("the README's apply example on a corpus of other text with the kit's models and the kit's risk model refuses (exit 3) instead of removing everything", async () => {
    // the kit's risk model (README: out/kit/risk.json), trained on the whole kit's features as these scores record them
    const kit = await makeKitInputs();
    const recorded = Object.fromEntries(await readFileMetadata(join(reference, 'scores.parquet')));
    const kitScores = join(dir, 'kit-scores.parquet');
    const columns: Record<string, any> = { id: vectorFromArray(kit.ids, new Utf8()) };
    for (const name of FEATURES) columns[name] = vectorFromArray(kit.features[name], new Float64());
    const scoresWriter = await openWriter(kitScores);
    await scoresWriter.write(withSchemaMetadata(new Table(columns), recorded));
    await scoresWriter.close();
    const kitLabels = join(dir, 'kit-labels.parquet');
    const labelsWriter = await openWriter(kitLabels);
    await labelsWriter.write(new Table({ id: vectorFromArray(kit.ids, new Utf8()), mem_student: vectorFromArray(kit.memStudent, new Bool()) }));
    await labelsWriter.close();
    const kitRisk = join(dir, 'kit-risk.json');
    const trained = await memsieve(['train', '--scores', kitScores, '--labels', kitLabels, '--label-column', 'mem_student', '--trials', '3', '--output', kitRisk]);
    expect(trained.status, trained.stderr).toBe(0);

    // other text: the slice's rows with their words reversed, which the kit's teacher never saw
    const rows = await readRows(corpus);
    const other = join(dir, 'other.parquet');
    const writer = await openWriter(other);
    await writer.write(new Table({
      id: vectorFromArray(rows.map((r) => `other-${r.id}`), new Utf8()),
      text: vectorFromArray(rows.map((r) => String(r.text).split(' ').reverse().join(' ')), new Utf8()),
    }));
    await writer.close();
    const out = join(dir, 'apply-other');
    const run = await memsieve(['run', join(ROOT, 'pipelines', 'apply.yaml'), '--set', `corpus=${other}`, '--set', `risk=${kitRisk}`, '--set', `out=${out}`, ...KIT_MODELS]);
    expect(run.status, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/would remove (\d+) of 200 rows \((\d+(\.\d+)?)%\), more than --max-removed 50%; nothing was written/);
    expect(run.stderr).toMatch(/rows outside the range the risk model was fitted on: teacher_ppl \d+(\.\d)?% \(training range/);
    expect(run.stderr).toMatch(/pass --max-removed \d+%/);
    // the scores were made (and name their models); nothing of the split was written
    expect(existsSync(join(out, 'scores.parquet'))).toBe(true);
    for (const name of ['clean.parquet', 'removed.parquet', 'report']) expect(existsSync(join(out, name)), name).toBe(false);

    // the same scores under the 200-row slice's model: it goes the other way (keeps every row), and says the scores drift
    const slice = join(dir, 'apply-other-slice');
    mkdirSync(slice);
    const filter = await memsieve(['filter', '--input', other, '--scores', join(out, 'scores.parquet'), '--model', join(reference, 'risk.json'),
      '--clean', join(slice, 'clean.parquet'), '--removed', join(slice, 'removed.parquet'), '--report', join(slice, 'report')]);
    expect(filter.status, filter.stderr).toBe(0);
    expect(filter.stderr).toMatch(/memsieve: warning: rows outside the range the risk model was fitted on: teacher_ppl 100\.0%/);
    const manifest = JSON.parse(readFileSync(join(slice, 'report', 'manifest.json'), 'utf8'));
    expect(manifest.drift.warned).toContain('teacher_ppl');
    expect(manifest.drift.features.teacher_ppl.share).toBe(1);
    expect(manifest.scoring.transfer).toEqual([]); // the kit's models on both sides: drift, not transfer
    expect(readFileSync(join(slice, 'report', 'report.html'), 'utf8')).toContain('Drift from the training range');
  }, 600_000);
});

// CI and `npm run test:slurm` set MEMSIEVE_REQUIRE_SLURM=1: there a missing Slurm fails instead of skipping
// (a skip is named on the global setup's SKIPPING line, test/helpers/system-setup.ts)
const noSlurm = slurmUnavailable();
const requireSlurm = process.env.MEMSIEVE_REQUIRE_SLURM === '1';

describe.skipIf(noSlurm !== null && !requireSlurm)('memsieve run --executor slurm, on a real single-node Slurm', () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    if (noSlurm) throw new Error(`MEMSIEVE_REQUIRE_SLURM=1 but ${noSlurm}`);
    cluster = await startSlurmCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs 4 shards per step; a failed shard cancels the merge; the rerun submits only it and equals one process', async () => {
    const out = join(dir, 'slurm');
    const env = {
      NODE_OPTIONS: `--import ${join(import.meta.dirname, 'fail-once.mjs')}`,
      MEMSIEVE_TEST_FAIL: 'score:2',
      MEMSIEVE_TEST_FAIL_MARK: join(dir, 'score-2-failed-once'),
    };
    // the kit pipeline with one GPU per score task (the test node's GPUs are /dev/null and /dev/zero)
    const gpuKit = join(dir, 'kit-gpu.yaml');
    writeFileSync(gpuKit, readFileSync(KIT_YAML, 'utf8').replace('    kind: score\n', '    kind: score\n    gpus: 1\n').replaceAll('${pipeline_dir}', join(ROOT, 'pipelines')));
    const args = ['run', gpuKit, '--set', `corpus=${corpus}`, '--set', `out=${out}`, '--executor', 'slurm', '--shards', '4', '--workers', '2'];
    const first = await memsieve(args, env);
    expect(first.status, first.stderr).toBe(2);
    expect(existsSync(env.MEMSIEVE_TEST_FAIL_MARK)).toBe(true);
    expect(first.stderr).toMatch(/step "score": shards 2 of 4 failed; merge job \d+ (ended CANCELLED|did not run)/);
    const submitted = first.stderr.split('\n').filter((l) => l.includes('submit: sbatch'));
    expect(submitted[0]).toMatch(/--job-name=memsieve-score .*--array=0-3%2 --gres=gpu:1 --requeue/);
    expect(submitted[1]).toMatch(/--dependency=afterok:\d+ --kill-on-invalid-dep=yes/);
    expect(await missingShards(join(out, 'scores.parquet'), 4)).toEqual([2]);
    expect(existsSync(join(out, 'scores.parquet'))).toBe(false);
    // nothing left pending: the merge job was cancelled, not hung
    expect(spawnSync('squeue', ['-h'], { encoding: 'utf8' }).stdout.trim()).toBe('');

    const second = await memsieve(args, env);
    expect(second.status, `${second.stderr}\n${cluster.logs().slice(-2000)}`).toBe(0);
    const resubmitted = second.stderr.split('\n').filter((l) => l.includes('submit: sbatch'));
    expect(resubmitted[0]).toMatch(/--job-name=memsieve-score .*--array=2%2 /);
    expect(resubmitted.filter((l) => l.includes('--job-name=memsieve-score '))).toHaveLength(1);
    expect(second.stderr).toMatch(/step score \(score\): not run yet; 4 shards, 3 already complete/);
    expect(resubmitted.filter((l) => l.includes('--job-name=memsieve-audit '))[0]).toMatch(/--array=0-3%2 /);
    expect(resubmitted.filter((l) => l.includes('--job-name=memsieve-audit '))[0]).not.toContain('--gres');
    const logs = join(out, '.memsieve', 'logs');
    expect(readFileSync(join(logs, 'verify', 'step.log'), 'utf8')).toMatch(/verified: 200 input rows/);
    expect(readFileSync(join(logs, 'score', 'shard-0.log'), 'utf8')).toMatch(/shard 0, GPUs \d/);
    expect(readFileSync(join(logs, 'audit', 'shard-0.log'), 'utf8')).toMatch(/shard 0, GPUs none/);
    await expectSameResults(out, reference);
    expect(leftovers(out)).toEqual([]);
    for (const step of ['score', 'audit', 'filter']) expect(existsSync(join(out, '.memsieve', 'logs', step, 'shard-3.log'))).toBe(true);
    expect(readFileSync(join(out, '.memsieve', 'logs', 'filter', 'shard-3.log'), 'utf8')).toMatch(/shard-local join with 1 score part/);
    // shard 2's log holds both attempts: the injected failure, then the run that completed
    const log = readFileSync(join(out, '.memsieve', 'logs', 'score', 'shard-2.log'), 'utf8');
    expect(log).toMatch(/injected failure: score shard 2, first attempt[\s\S]*== .* shard 2[\s\S]*"command":"score"/);
  }, 900_000);

  it("a workdir with '%' in its path: sbatch gets it as %%, so every log lands at its literal path", async () => {
    // %j and %A are Slurm filename patterns: unescaped, the logs would go to a folder named after the job id
    const out = join(dir, 'slurm-pct%j%A');
    mkdirSync(out);
    const yaml = join(dir, 'pct.yaml');
    writeFileSync(
      yaml,
      [
        'name: pct',
        `workdir: ${out}/.memsieve`,
        'steps:',
        '  - {id: filter, kind: filter, shards: 2,',
        `     inputs: {input: ${corpus}, scores: ${reference}/scores.parquet, model: ${reference}/risk.json},`,
        `     outputs: {clean: ${out}/clean.parquet, removed: ${out}/removed.parquet, report: ${out}/report}}`,
        `  - {id: verify, kind: verify, inputs: {report: ${out}/report}}`,
        '',
      ].join('\n'),
    );
    const run = await memsieve(['run', yaml, '--executor', 'slurm', '--workers', '2']);
    expect(run.status, `${run.stderr}\n${cluster.logs().slice(-2000)}`).toBe(0);
    const logs = join(out, '.memsieve', 'logs');
    expect(readFileSync(join(logs, 'verify', 'step.log'), 'utf8')).toMatch(/verified: 200 input rows/);
    expect(existsSync(join(logs, 'filter', 'merge.log'))).toBe(true);
    expect(readdirSync(join(logs, 'filter')).filter((f) => f.startsWith('slurm-'))).toHaveLength(2);
    // nothing written under an expanded name beside the literal folder
    expect(readdirSync(dir).filter((f) => f.startsWith('slurm-pct'))).toEqual(['slurm-pct%j%A']);
    const submitted = run.stderr.split('\n').filter((l) => l.includes('submit: sbatch'));
    expect(submitted.every((l) => /--output=\S*slurm-pct%%j%%A/.test(l))).toBe(true);
  }, 600_000);

  it('a sharded --remove-top: the threshold map array, its merge job (the reduce), then the filter array', async () => {
    const out = join(dir, 'slurm');
    const top = withRemoveTop(KIT_YAML, join(dir, 'kit-top-slurm.yaml'));
    const run = await memsieve(['run', top, '--set', `corpus=${corpus}`, '--set', `out=${out}`, '--executor', 'slurm', '--shards', '4', '--workers', '2']);
    expect(run.status, `${run.stderr}\n${cluster.logs().slice(-2000)}`).toBe(0);
    const submitted = run.stderr.split('\n').filter((l) => l.includes('submit: sbatch'));
    expect(submitted.map((l) => /--job-name=(\S+)/.exec(l)?.[1])).toEqual(['memsieve-filter.threshold', 'memsieve-filter.threshold-merge', 'memsieve-filter', 'memsieve-filter-merge', 'memsieve-verify']);
    expect(submitted[0]).toMatch(/--array=0-3%2 /);
    expect(submitted[1]).toMatch(/--dependency=afterok:\d+ --kill-on-invalid-dep=yes/);
    await expectSameAsOneFilter(out, join(dir, 'top-single-slurm'));
  }, 900_000);
});
