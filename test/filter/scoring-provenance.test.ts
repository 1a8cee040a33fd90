// Scores against the risk model's training scores: train records their provenance and each feature's
// fitted range; filter, evaluate and threshold refuse scores made otherwise (exit 2 naming the field and
// both values) unless --allow-mismatch names it; other teacher/baseline models are a transfer, named in
// the manifest and report; scores far outside the training range are drift, warned about, and a split
// removing more than --max-removed is refused (exit 3) with nothing written; verify re-derives it all.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Float64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { openWriter } from '../../src/io/index.js';
import { withSchemaMetadata } from '../../src/io/index.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';
import { FEATURES, makeKitInputs, type KitInputs } from './kit-setup.js';

let kit: KitInputs;
let dir: string;
/** the provenance `memsieve score` records for the kit's models at --max-tokens 64 */
let provenance: Record<string, any>;
let scores: string;
let labels: string;
let model: string;

/** The kit's golden features (as kit-setup derives them), written by memsieve with `recorded` as their provenance. */
async function writeScores(path: string, recorded: Record<string, any> | null, scale: Partial<Record<string, number>> = {}): Promise<string> {
  const columns: Record<string, any> = { id: vectorFromArray(kit.ids, new Utf8()) };
  for (const name of FEATURES) columns[name] = vectorFromArray(kit.features[name].map((x) => x * (scale[name] ?? 1)), new Float64());
  let table = new Table(columns);
  if (recorded) table = withSchemaMetadata(table, { 'memsieve.provenance.score': JSON.stringify(recorded) });
  const writer = await openWriter(path);
  await writer.write(table);
  await writer.close();
  return path;
}

beforeAll(async () => {
  kit = await makeKitInputs();
  dir = tempDir('memsieve-scoring-');
  // a real score run's provenance: the models, tokenizer and settings these features stand for
  const rows = (await kitCorpus()).slice(0, 4);
  const corpus = join(dir, 'four.parquet');
  parquetWriteFile({ filename: corpus, columnData: [{ name: 'id', data: rows.map((r) => String(r.id)), type: 'STRING' }, { name: 'text', data: rows.map((r) => String(r.text)), type: 'STRING' }] });
  const run = runCli(['score', '-i', corpus, '-o', join(dir, 'four-scores.parquet'), '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'), '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '64', '--prefix-tokens', '16', '--suffix-tokens', '16', '-q']);
  expect(run.status, run.stderr).toBe(0);
  provenance = JSON.parse(run.stderr.trim().split('\n').at(-1)!).provenance;
  scores = await writeScores(join(dir, 'scores.parquet'), provenance);
  labels = join(dir, 'labels.parquet');
  parquetWriteFile({ filename: labels, columnData: [{ name: 'id', data: kit.ids, type: 'STRING' }, { name: 'mem_student', data: kit.memStudent, type: 'BOOLEAN' }] });
  model = join(dir, 'risk.json');
  const trained = runCli(['train', '--scores', scores, '--labels', labels, '--label-column', 'mem_student', '--trials', '3', '--output', model]);
  expect(trained.status, trained.stderr).toBe(0);
  expect(trained.stderr).not.toMatch(/warning/);
}, 300_000);

function filter(scoresPath: string, extra: string[] = []) {
  const out = tempDir('memsieve-scoring-filter-');
  const result = runCli(['filter', '--input', kit.corpus, '--scores', scoresPath, '--model', model, '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'), '--report', join(out, 'report'), '-q', ...extra]);
  const read = (name: string) => readFileSync(join(out, 'report', name), 'utf8');
  return { ...result, out, manifest: () => JSON.parse(read('manifest.json')), html: () => read('report.html') };
}

/** numpy.quantile's default (linear) method, written out here */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  return sorted[Math.floor(h)] + (h - Math.floor(h)) * (sorted[Math.ceil(h)] - sorted[Math.floor(h)]);
}

describe('risk.json knows what it was trained on', () => {
  it("records the training scores' provenance and each feature's range (min, max, 0.1% and 99.9% quantiles over the labelled rows)", () => {
    const risk = JSON.parse(readFileSync(model, 'utf8'));
    expect(risk.provenance.scoring).toEqual(provenance);
    for (const name of FEATURES) {
      const values = kit.features[name];
      expect(risk.feature_ranges[name].rows).toBe(values.length);
      expect(risk.feature_ranges[name].min).toBe(Math.min(...values));
      expect(risk.feature_ranges[name].max).toBe(Math.max(...values));
      expect(risk.feature_ranges[name].quantile_001).toBeCloseTo(quantile(values, 0.001), 12);
      expect(risk.feature_ranges[name].quantile_999).toBeCloseTo(quantile(values, 0.999), 12);
    }
  });
});

describe('filter, evaluate and threshold check the scores against the training scores', () => {
  it('the same provenance: no warning, no transfer; the drift of the training rows themselves is ~0.2%', () => {
    const result = filter(scores);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const manifest = result.manifest();
    expect(manifest.scoring).toMatchObject({ scores: provenance, trained: provenance, transfer: [], allowed_mismatches: [] });
    for (const name of FEATURES) {
      const values = kit.features[name];
      const [low, high] = [quantile(values, 0.001), quantile(values, 0.999)];
      const outside = values.filter((x) => x < low || x > high).length;
      expect(manifest.drift.features[name]).toMatchObject({ outside, rows: values.length });
      expect(manifest.drift.features[name].share).toBeLessThan(0.005);
    }
    expect(manifest.drift.warned).toEqual([]);
    expect(result.stdout).toMatch(/outside the model's training range: teacher_ppl \d\.\d%/);
    const verified = runCli(['verify', '--report', join(result.out, 'report')]);
    expect(verified.status, verified.stderr).toBe(0);
  });

  it('another max_tokens is refused by filter, evaluate and threshold, naming the field and both values; --allow-mismatch max_tokens applies it and records that', async () => {
    const other = await writeScores(join(dir, 'scores-max100.parquet'), { ...provenance, max_tokens: 100 });
    const message = `--scores ${other}: max_tokens is 100, but --model ${model} was trained on scores with max_tokens 64; score again as the model's scores were, or pass --allow-mismatch max_tokens to apply it anyway`;
    const refused = filter(other);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(`memsieve: error: ${message}\n`);
    expect(readdirSync(refused.out)).toEqual([]);
    const evaluate = runCli(['evaluate', '--model', model, '--scores', other, '--labels', labels, '--label-column', 'mem_student', '--output', join(dir, 'eval.json')]);
    expect([evaluate.status, evaluate.stderr]).toEqual([2, `memsieve: error: ${message}\n`]);
    const threshold = runCli(['threshold', '--model', model, '--scores', other, '--remove-top', '5%', '--output', join(dir, 'cut.json')]);
    expect([threshold.status, threshold.stderr]).toEqual([2, `memsieve: error: ${message}\n`]);
    expect(existsSync(join(dir, 'eval.json')) || existsSync(join(dir, 'cut.json'))).toBe(false);

    const allowed = filter(other, ['--allow-mismatch', 'max_tokens']);
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(allowed.manifest().scoring.allowed_mismatches).toEqual([{ field: 'max_tokens', scores: 100, trained: 64 }]);
    expect(allowed.html()).toContain('--allow-mismatch max_tokens');
    expect(runCli(['verify', '--report', join(allowed.out, 'report')]).status).toBe(0);
    // the flag names fields it knows
    const typo = filter(other, ['--allow-mismatch', 'max-tokens']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/--allow-mismatch max-tokens: not a field that is checked; use tokenizer, special_tokens, max_tokens, prefix_tokens, suffix_tokens, temperature, min_k/);
  });

  it('another special-token policy or tokenizer is refused the same way', async () => {
    const bos = await writeScores(join(dir, 'scores-bos.parquet'), { ...provenance, tokenizer: { ...provenance.tokenizer, special_tokens: 'tokenizer', added_special_ids: { leading: [0], trailing: [] } } });
    const refused = filter(bos);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/special_tokens is "tokenizer" \(adds \[0\] before, \[\] after\), but --model \S+ was trained on scores with special_tokens "\w+" \(adds \[\] before, \[\] after\).*--allow-mismatch special_tokens/);
    const otherTokenizer = await writeScores(join(dir, 'scores-tok.parquet'), { ...provenance, tokenizer: { ...provenance.tokenizer, sha256: 'a'.repeat(64) } });
    expect(filter(otherTokenizer).stderr).toMatch(/tokenizer is sha256 aaaaaaaaaaaa…, but --model \S+ was trained on scores with tokenizer sha256 \w{12}…/);
  });

  it('another teacher is a transfer: allowed, and the manifest, report and result name both models', async () => {
    const teacher = { path: kitFile('student.onnx'), sha256: 'b'.repeat(64) };
    const transferred = await writeScores(join(dir, 'scores-transfer.parquet'), { ...provenance, models: { ...provenance.models, teacher } });
    const result = filter(transferred);
    expect(result.status, result.stderr).toBe(0);
    expect(result.manifest().scoring.transfer).toEqual([{ field: 'teacher', scores: teacher, trained: provenance.models.teacher }]);
    const line = `transfer: the risk model was trained on scores of other models — teacher ${teacher.path} (sha256 bbbbbbbbbbbb…) here, ${provenance.models.teacher.path} (sha256 ${provenance.models.teacher.sha256.slice(0, 12)}…) in training`;
    expect(result.stdout).toContain(line);
    expect(result.html()).toContain('TRANSFER');
    expect(result.html()).toContain(teacher.path);
    expect(result.html()).toContain(provenance.models.teacher.path);
    expect(runCli(['verify', '--report', join(result.out, 'report')]).status).toBe(0);
  });

  it('scores without provenance are accepted with one warning line', async () => {
    const bare = await writeScores(join(dir, 'scores-bare.parquet'), null);
    const result = filter(bare);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^memsieve: warning: --scores \S+ records no provenance \(made by another tool or an older memsieve\)[^\n]*\n$/);
    expect(result.manifest().scoring.scores).toBeNull();
  });
});

describe('drift and runaway removals', () => {
  it('scores far outside the training range: refused (exit 3) before anything is written; with --max-removed 100% written, drift warned, recorded and verified', async () => {
    const shifted = await writeScores(join(dir, 'scores-shifted.parquet'), provenance, { teacher_ppl: 1000 });
    const refused = filter(shifted);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toMatch(/^memsieve: error: would remove (\d+) of 5300 rows \([\d.]+%\), more than --max-removed 50%; nothing was written\. rows outside the range the risk model was fitted on: teacher_ppl 100\.0% \(training range [\d.]+\.\.[\d.]+\)\. .*pass --max-removed \d+%\n$/);
    expect(readdirSync(refused.out)).toEqual([]);

    const meant = filter(shifted, ['--max-removed', '100%']);
    expect(meant.status, meant.stderr).toBe(0);
    expect(meant.stderr).toMatch(/^memsieve: warning: rows outside the range the risk model was fitted on: teacher_ppl 100\.0% /);
    const manifest = meant.manifest();
    expect(manifest.drift.warned).toEqual(['teacher_ppl']);
    expect(manifest.drift.features.teacher_ppl).toMatchObject({ outside: 5300, rows: 5300, share: 1 });
    expect(manifest.max_removed).toBe(1);
    expect(meant.html()).toContain('Drift from the training range');
    const report = join(meant.out, 'report');
    expect(runCli(['verify', '--report', report]).status).toBe(0);
    // a drift figure edited in the manifest is caught
    writeFileSync(join(report, 'manifest.json'), JSON.stringify({ ...manifest, drift: { ...manifest.drift, features: { ...manifest.drift.features, teacher_ppl: { ...manifest.drift.features.teacher_ppl, outside: 12 } } } }));
    const verified = runCli(['verify', '--report', report]);
    expect(verified.status).toBe(1);
    expect(verified.stderr).toMatch(/drift of teacher_ppl: the manifest says 12 of 5300 rows outside/);
  });

  it('--max-removed takes a share or a percentage; a share outside (0, 1] is refused', () => {
    const half = filter(scores, ['--max-removed', '0.01']);
    expect(half.status).toBe(3);
    expect(half.stderr).toMatch(/more than --max-removed 1%; nothing was written/);
    const bad = filter(scores, ['--max-removed', '150%']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--max-removed 150%: expected a fraction in \(0, 1\] or a percentage/);
  });
});
