// pipelines/counterfactual.yaml end to end on CPU with tiny models: a teacher trained until it memorizes
// a corpus where 8 texts repeat 8 times, K = 4 soft-KD students on 4 random halves (copies of a text go in
// or out together), each audited on all 200 rows, combined by `memsieve counterfactual`. Every row's
// value is recomputed here from the audits and the halves with a plain loop.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { counterfactualRow } from '../../src/audit/counterfactual.js';
import { runCli } from '../helpers/cli.js';
import { kitFile, readParquetRows, tempDir } from '../helpers/kit.js';
import { lacks } from '../helpers/system.js';
import { buildOnce, CLI, ROOT } from './build.js';
import { makeMemorizingTeacher, repeatedCorpus, writeRows } from './memorizing-kit.js';

const dir = tempDir('memsieve-cf-');
const out = join(dir, 'run');
const REPEATED = 8;
const COPIES = 8;
const UNIQUE = 136;
const K = 4;
const noTorch = lacks('python3-torch');

beforeAll(async () => {
  if (noTorch) return;
  await buildOnce();
  const { rows } = await repeatedCorpus(REPEATED, COPIES, UNIQUE);
  await writeRows(join(dir, 'corpus.parquet'), rows, 50);
  makeMemorizingTeacher(dir, join(dir, 'corpus.parquet'));
  const run = spawnSync(process.execPath, [CLI, 'run', join(ROOT, 'pipelines', 'counterfactual.yaml'),
    '--set', `corpus=${join(dir, 'corpus.parquet')}`, '--set', `teacher=${join(dir, 'teacher')}`, '--set', `baseline=${join(dir, 'baseline')}`,
    '--set', `tokenizer=${kitFile('tokenizer.json')}`, '--set', `out=${out}`, '--set', 'device=cpu', '--set', 'max_tokens=24',
    '--set', 'prefix_tokens=8', '--set', 'suffix_tokens=8', '--set', 'epochs=25', '--set', 'lr=1e-2', '--set', 'batch_size=64',
    '--set', 'warmup_steps=0', '--set', 'half_key=text'], { cwd: ROOT, encoding: 'utf8' });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
}, 1_800_000);

describe.skipIf(noTorch)('pipelines/counterfactual.yaml on CPU with tiny models (K = 4)', () => {
  it('gives every row the mean memorization of the students trained on it minus of those not, as a plain loop does', async () => {
    const corpus = await readParquetRows(join(dir, 'corpus.parquet'));
    const halves = await Promise.all([0, 1, 2, 3].map(async (i) => new Set((await readParquetRows(join(out, `half-${i}.parquet`))).map((r) => r.id as string))));
    const audits = await Promise.all([0, 1, 2, 3].map(async (i) => new Map((await readParquetRows(join(out, `audit-${i}.parquet`))).map((r) => [r.id as string, r.memorized as boolean | null]))));
    const result = await readParquetRows(join(out, 'counterfactual.parquet'));
    expect(result.map((r) => r.id)).toEqual(corpus.map((r) => r.id));
    let defined = 0;
    for (const row of result) {
      const id = row.id as string;
      let [sumIn, nIn, sumOut, nOut] = [0, 0, 0, 0];
      for (let m = 0; m < K; m++) {
        const v = audits[m].get(id);
        if (v === null || v === undefined) continue;
        if (halves[m].has(id)) [sumIn, nIn] = [sumIn + Number(v), nIn + 1];
        else [sumOut, nOut] = [sumOut + Number(v), nOut + 1];
      }
      expect(row.in_models, id).toBe(nIn);
      expect(row.out_models, id).toBe(nOut);
      const want = nIn > 0 && nOut > 0 ? sumIn / nIn - sumOut / nOut : null;
      if (want === null) expect(row.counterfactual, id).toBeNull();
      else {
        expect(row.counterfactual, id).toBeCloseTo(want, 12);
        defined++;
      }
    }
    const summary = JSON.parse(readFileSync(join(out, 'counterfactual.parquet.summary.json'), 'utf8'));
    expect(summary).toMatchObject({ command: 'counterfactual', models: K, measure: 'memorized', rows: corpus.length, rows_defined: defined });
    expect(summary.runs.map((r: any) => r.training_rows)).toEqual(halves.map((h) => h.size));
    // the signal: the repeated texts are memorized by the students that saw them, not by the others
    const mean = (rows: Record<string, any>[]) => rows.reduce((s, r) => s + (r.counterfactual ?? 0), 0) / rows.length;
    const repeated = result.filter((r) => String(r.id).startsWith('rep') && r.counterfactual !== null);
    const unique = result.filter((r) => !String(r.id).startsWith('rep') && r.counterfactual !== null);
    expect(repeated.length).toBeGreaterThan(0);
    expect(mean(repeated)).toBeGreaterThan(mean(unique) + 0.25);
  });

  it('refuses audits and training sets that do not pair up, and training data outside the audited corpus', () => {
    const audit = (i: number) => `s${i}=${join(out, `audit-${i}.parquet`)}`;
    const half = (i: number) => `s${i}=${join(out, `half-${i}.parquet`)}`;
    let r = runCli(['counterfactual', '--audit', audit(0), '--audit', audit(1), '--trained-on', half(0), '-o', join(dir, 'never.parquet')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/memsieve: error: --audit s1=.*: no --trained-on s1=DATA says what that model was trained on/);
    r = runCli(['counterfactual', '--audit', audit(0), '--trained-on', half(0), '-o', join(dir, 'never.parquet')]);
    expect(r.stderr).toMatch(/give at least 2 \(got 1\)/);
    r = runCli(['counterfactual', '--audit', audit(0), '--audit', audit(1), '--trained-on', half(0), '--trained-on', `s1=${kitFile('corpus.parquet')}`, '-o', join(dir, 'never.parquet')]);
    expect(r.stderr).toMatch(/memsieve: error: --trained-on s1=.*corpus\.parquet: 5164 of its 5300 ids are not in the audits \(first: /);
  });
});

describe('counterfactualRow', () => {
  it('is the mean over models trained on the row minus the mean over the others, nulls left out', () => {
    // in: 1, 1, 0 → 2/3; out: 0 → 0
    expect(counterfactualRow([1, 1, 0, 0], [true, true, true, false])).toEqual({ in_models: 3, out_models: 1, measure_in: 2 / 3, measure_out: 0, counterfactual: 2 / 3 });
    // match fractions: in 0.9; out (0.5 + 0.3) / 2 = 0.4; a null audit is left out
    expect(counterfactualRow([0.9, 0.5, null, 0.3], [true, false, true, false]).counterfactual).toBeCloseTo(0.5, 12);
    // in every training set: undefined
    expect(counterfactualRow([1, 1], [true, true])).toMatchObject({ out_models: 0, counterfactual: null });
  });
});
