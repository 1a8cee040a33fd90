// Bad input to filter and verify: a clear error naming the file/row/option, exit 2, and no output
// (nor temporary file) left behind.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitGolden, tempDir } from '../helpers/kit.js';
import { FEATURES, makeKitInputs, readParquetRows, writeScores, type KitInputs } from './kit-setup.js';

let kit: KitInputs;
beforeAll(async () => {
  kit = await makeKitInputs();
});

/** runs filter into a fresh folder; returns the result and what the folder holds afterwards */
function filter(args: { corpus?: string; scores?: string; model?: string; extra?: string[] }) {
  const out = tempDir('memsieve-bad-');
  const result = runCli([
    'filter',
    '--input', args.corpus ?? kit.corpus,
    '--scores', args.scores ?? kit.scores,
    '--model', args.model ?? kit.model,
    '--clean', join(out, 'clean.parquet'),
    '--removed', join(out, 'removed.parquet'),
    '--report', join(out, 'report'),
    ...(args.extra ?? []),
  ]);
  const left = [...readdirSync(out), ...(existsSync(join(out, 'report')) ? readdirSync(join(out, 'report')).map((f) => `report/${f}`) : [])].filter((f) => f !== 'report');
  return { ...result, left, out };
}

function expectRejected(result: ReturnType<typeof filter>, ...fragments: string[]) {
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/^memsieve: error: /);
  for (const f of fragments) expect(result.stderr).toContain(f);
  expect(result.left).toEqual([]);
}

function writeCorpus(path: string, rows: { id: string; text: string; copies: bigint }[], extra?: { name: string; data: number[] }) {
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'id', data: rows.map((r) => r.id), type: 'STRING' },
      { name: 'text', data: rows.map((r) => r.text), type: 'STRING' },
      { name: 'copies', data: rows.map((r) => r.copies), type: 'INT64' },
      ...(extra ? [{ name: extra.name, data: extra.data, type: 'DOUBLE' as const }] : []),
    ],
  });
}

const corpusRows = () => kit.corpusRows.map((r) => ({ id: String(r.id), text: r.text as string, copies: BigInt(r.copies) }));
const all = () => kit.ids.map((_, i) => i);

describe('memsieve filter rejects bad input', () => {
  it('corpus ids missing from the scores, naming the first few', () => {
    const scores = join(tempDir(), 'scores.parquet');
    writeScores(scores, kit, all().filter((i) => i % 100 !== 7));
    expectRejected(filter({ scores }), 'have no scores', kit.ids[7], kit.ids[107]);
  });

  it('scores holding ids the corpus lacks', () => {
    const dir = tempDir();
    const corpus = join(dir, 'corpus.parquet');
    writeCorpus(corpus, corpusRows().slice(0, 5000));
    const result = filter({ corpus });
    expectRejected(result, 'not in --input', '300 id(s)');
    const named = /\(([^)]*), …\)/.exec(result.stderr)![1].split(', ');
    expect(named.length).toBe(5);
    const extra = new Set(kit.ids.slice(5000));
    for (const id of named) expect(extra.has(id)).toBe(true);
  });

  it('a duplicate id in the corpus', () => {
    const dir = tempDir();
    const corpus = join(dir, 'corpus.parquet');
    const rows = corpusRows();
    writeCorpus(corpus, [...rows, rows[42]]);
    expectRejected(filter({ corpus }), `id ${kit.ids[42]} appears twice`);
  });

  it('a duplicate id in the scores', () => {
    const scores = join(tempDir(), 'scores.parquet');
    writeScores(scores, kit, [...all(), 9]);
    expectRejected(filter({ scores }), `id ${kit.ids[9]} appears twice`, '--scores');
  });

  it('a model feature missing from the scores', () => {
    const scores = join(tempDir(), 'scores.parquet');
    parquetWriteFile({
      filename: scores,
      columnData: [
        { name: 'id', data: kit.ids, type: 'STRING' },
        ...FEATURES.filter((f) => f !== 'zlib_entropy').map((name) => ({ name, data: kit.features[name], type: 'DOUBLE' as const })),
      ],
    });
    expectRejected(filter({ scores }), 'no column "zlib_entropy"', scores);
  });

  it('a NaN, a missing (null) and an infinite feature, naming the row id', () => {
    const nan = join(tempDir(), 'scores.parquet');
    writeScores(nan, kit, all(), { kl_teacher_baseline: kit.features.kl_teacher_baseline.map((v, i) => (i === 123 ? NaN : v)) });
    expectRejected(filter({ scores: nan }), `id ${kit.ids[123]}: feature "kl_teacher_baseline" is NaN`);
    const missing = join(tempDir(), 'scores.parquet');
    writeScores(missing, kit, all(), { teacher_ppl: kit.features.teacher_ppl.map((v, i) => (i === 77 ? null : v)) });
    expectRejected(filter({ scores: missing }), `id ${kit.ids[77]}: feature "teacher_ppl" is missing`);
    const longRow = join(tempDir(), 'scores.parquet');
    writeScores(longRow, kit, all(), { n_tokens: kit.ids.map(() => 128), teacher_ppl: kit.features.teacher_ppl.map((v, i) => (i === 77 ? null : v)) });
    expectRejected(filter({ scores: longRow }), `id ${kit.ids[77]}: feature "teacher_ppl" is missing`);
    const infinite = join(tempDir(), 'scores.parquet');
    writeScores(infinite, kit, all(), { baseline_ppl: kit.features.baseline_ppl.map((v, i) => (i === 5 ? Infinity : v)) });
    expectRejected(filter({ scores: infinite }), `id ${kit.ids[5]}: feature "baseline_ppl" is Infinity`);
  });

  it('a risk.json of another schema version', () => {
    const model = join(tempDir(), 'risk.json');
    writeFileSync(model, readFileSync(kit.model, 'utf8').replace('"memsieve.risk/v1"', '"memsieve.risk/v0"'));
    expectRejected(filter({ model }), 'memsieve.risk/v0', model);
  });

  it('more than one threshold option, and a share outside (0, 1]', () => {
    expectRejected(filter({ extra: ['--threshold', '0.5', '--target-recall', '0.99'] }), '--threshold and --target-recall');
    expectRejected(filter({ extra: ['--remove-top', '150%'] }), '--remove-top 150%');
  });

  it('a corpus that already has a risk column', () => {
    const corpus = join(tempDir(), 'corpus.parquet');
    writeCorpus(corpus, corpusRows(), { name: 'risk', data: kit.ids.map(() => 0) });
    expectRejected(filter({ corpus }), 'already has a column "risk"');
  });
});

describe('memsieve filter on rows too short to score', () => {
  it('keeps rows of one token unscored (score leaves their features null), risk null, outside --remove-top', async () => {
    const short = new Set([10, 20]);
    const scores = join(tempDir(), 'scores.parquet');
    const nullShort = (values: number[]) => values.map((v, i) => (short.has(i) ? null : v));
    writeScores(scores, kit, all(), {
      n_tokens: kit.ids.map((_, i) => (short.has(i) ? 1 : 128)),
      ...Object.fromEntries(FEATURES.map((name) => [name, nullShort(kit.features[name])])),
    });
    const result = filter({ scores, extra: ['--remove-top', '10%'] });
    expect(result.status, result.stderr).toBe(0);
    const out = result.out;
    const manifest = JSON.parse(readFileSync(join(out, 'report', 'manifest.json'), 'utf8'));
    // the 10% riskiest of the 5,298 scored rows: the ceil(529.8) = 530th largest risk and every row tied
    // with it (the kit repeats rows), risk computed here from risk.json's coefficients
    const m = JSON.parse(readFileSync(kit.model, 'utf8'));
    const risk = all()
      .filter((i) => !short.has(i))
      .map((i) => 1 / (1 + Math.exp(-FEATURES.reduce((z, name, j) => z + (m.coefficients[j] * (kit.features[name][i] - m.scaler.mean[j])) / m.scaler.std[j], m.intercept))));
    const cut = [...risk].sort((a, b) => b - a)[529];
    const removed = risk.filter((r) => r >= cut).length;
    expect(removed).toBeGreaterThanOrEqual(530);
    expect(manifest.summary).toMatchObject({ rows_in: kit.ids.length, removed, kept: kit.ids.length - removed, unscored: 2 });
    const clean = await readParquetRows(join(out, 'clean.parquet'));
    for (const i of short) expect(clean.find((r) => r.id === kit.ids[i])).toMatchObject({ risk: null });
    expect(clean.filter((r) => r.risk === null)).toHaveLength(2);
    expect(runCli(['verify', '--report', join(out, 'report'), '--check-risk']).status).toBe(0);
  });
});

describe('memsieve filter with a model of suffix-window features', () => {
  it('keeps rows shorter than the window unscored (score leaves those features null)', async () => {
    const { trainRiskModel, writeRiskModel } = await import('../../src/risk/train.js');
    const golden = await kitGolden();
    const dir = tempDir();
    const short = new Set([30, 40]);
    const features = ['teacher_ppl', 'kl_teacher_baseline', 'teacher_suffix_logprob'];
    const suffix = golden.map((g) => Number(g.suf_logprob_teacher));
    const write = (path: string, shortRows: Set<number>) =>
      parquetWriteFile({
        filename: path,
        columnData: [
          { name: 'id', data: kit.ids, type: 'STRING' },
          { name: 'n_tokens', data: kit.ids.map((_, i) => (shortRows.has(i) ? 60 : 128)), type: 'INT32' },
          { name: 'teacher_ppl', data: kit.features.teacher_ppl, type: 'DOUBLE' },
          { name: 'kl_teacher_baseline', data: kit.features.kl_teacher_baseline, type: 'DOUBLE' },
          { name: 'teacher_suffix_logprob', data: suffix.map((v, i) => (shortRows.has(i) ? null : v)), type: 'DOUBLE' },
        ],
      });
    const trainScores = join(dir, 'train-scores.parquet');
    write(trainScores, new Set());
    const labels = join(dir, 'labels.parquet');
    parquetWriteFile({ filename: labels, columnData: [{ name: 'id', data: kit.ids, type: 'STRING' }, { name: 'memorized', data: kit.memStudent, type: 'BOOLEAN' }] });
    const model = join(dir, 'risk.json');
    await writeRiskModel(model, await trainRiskModel({ scores: trainScores, labels, features, trials: 3 }));
    const scores = join(dir, 'scores.parquet');
    write(scores, short);
    const result = filter({ scores, model });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/kept \d+ \(2 too short to score\)/);
    const manifest = JSON.parse(readFileSync(join(result.out, 'report', 'manifest.json'), 'utf8'));
    expect(manifest.summary.unscored).toBe(2);
    const clean = await readParquetRows(join(result.out, 'clean.parquet'));
    for (const i of short) expect(clean.find((r) => r.id === kit.ids[i])).toMatchObject({ risk: null });
  });
});

describe('memsieve verify rejects a folder that is not a filter report', () => {
  it('names the missing manifest and a manifest of another schema', () => {
    const dir = tempDir();
    let result = runCli(['verify', '--report', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('manifest.json');
    mkdirSync(join(dir, 'r'));
    writeFileSync(join(dir, 'r', 'manifest.json'), JSON.stringify({ schema: 'memsieve.manifest/v9' }));
    result = runCli(['verify', '--report', join(dir, 'r')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('memsieve.manifest/v9');
  });
});
