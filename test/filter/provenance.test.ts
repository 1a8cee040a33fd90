// Where the model came from, on the record: the manifest and report.html say whether risk.json was
// trained on the scores filtered (same sha256, or the same rows in another layout) or on another corpus's, show `memsieve evaluate`'s figures
// when --evaluation is passed (refused for another model's evaluation), and verify re-checks the hashes.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';
import { rowDigest } from '../../src/filter/fingerprint.js';
import { FEATURES, makeKitInputs, writeScores, type KitInputs } from './kit-setup.js';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let kit: KitInputs;
/** a model trained on the kit's even rows only: "another corpus" for the whole kit */
let otherModel: string;
let otherScores: string;
/** the kit's odd rows, held out from otherModel */
let oddScores: string;
let oddLabels: string;
let fullLabels: string;

function writeLabels(path: string, rows: number[]): void {
  parquetWriteFile({ filename: path, columnData: [{ name: 'id', data: rows.map((i) => kit.ids[i]), type: 'STRING' }, { name: 'mem_student', data: rows.map((i) => kit.memStudent[i]), type: 'BOOLEAN' }] });
}

beforeAll(async () => {
  kit = await makeKitInputs();
  const even = kit.ids.map((_, i) => i).filter((i) => i % 2 === 0);
  const odd = kit.ids.map((_, i) => i).filter((i) => i % 2 === 1);
  otherScores = join(kit.dir, 'scores-even.parquet');
  writeScores(otherScores, kit, even);
  const evenLabels = join(kit.dir, 'labels-even.parquet');
  writeLabels(evenLabels, even);
  otherModel = join(kit.dir, 'risk-even.json');
  const trained = runCli(['train', '--scores', otherScores, '--labels', evenLabels, '--label-column', 'mem_student', '--trials', '3', '--output', otherModel]);
  expect(trained.status, trained.stderr).toBe(0);
  oddScores = join(kit.dir, 'scores-odd.parquet');
  writeScores(oddScores, kit, odd);
  oddLabels = join(kit.dir, 'labels-odd.parquet');
  writeLabels(oddLabels, odd);
  fullLabels = join(kit.dir, 'labels.parquet');
});

function filter(model: string, extra: string[] = [], scores = kit.scores) {
  const out = tempDir('memsieve-provenance-');
  const result = runCli(['filter', '--input', kit.corpus, '--scores', scores, '--model', model, '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'), '--report', join(out, 'report'), ...extra]);
  const read = (name: string) => readFileSync(join(out, 'report', name), 'utf8');
  return { ...result, out, manifest: () => JSON.parse(read('manifest.json')), html: () => read('report.html') };
}

function evaluate(model: string, scores: string, labels: string): string {
  const output = join(tempDir('memsieve-provenance-eval-'), 'eval.json');
  const result = runCli(['evaluate', '--model', model, '--scores', scores, '--labels', labels, '--label-column', 'mem_student', '--output', output]);
  expect(result.status, result.stderr).toBe(0);
  return output;
}

describe('model provenance in the removal report', () => {
  it('a model trained on this corpus: the manifest and report say so', () => {
    const result = filter(kit.model);
    expect(result.status, result.stderr).toBe(0);
    const m = result.manifest();
    const risk = JSON.parse(readFileSync(kit.model, 'utf8'));
    expect(m.model.trained_on.this_corpus).toBe(true);
    expect(m.model.trained_on.scores.sha256).toBe(risk.provenance.inputs.scores.sha256);
    expect(m.model.trained_on.scores.sha256).toBe(m.scores.files[0].sha256);
    expect(result.html()).toContain('this corpus: its scores are the ones filtered here');
  });

  it("a model trained on another corpus, with its held-out evaluation: both said, the evaluation's figures shown, verify passes", () => {
    const evaluation = evaluate(otherModel, oddScores, oddLabels);
    const result = filter(otherModel, ['--evaluation', evaluation]);
    expect(result.status, result.stderr).toBe(0);
    const m = result.manifest();
    expect(m.model.trained_on.this_corpus).toBe(false);
    expect(m.model.trained_on.scores.path).toBe(otherScores);
    const e = JSON.parse(readFileSync(evaluation, 'utf8'));
    expect(m.evaluation.result).toEqual(e);
    expect(m.evaluation.of_these_scores).toBe(false);
    const html = result.html();
    expect(html).toContain('another corpus: scores ' + otherScores);
    expect(html).toContain('Evaluation of the model (memsieve evaluate)');
    expect(html).toContain('other scores than the ones filtered here: ' + oddScores);
    expect(html).toContain(`${e.roc_auc.toFixed(4)} / ${e.average_precision.toFixed(4)}`);
    expect(html).toContain(`ECE ${e.calibration.ece.toFixed(4)} (10 equal-width bins)`);
    expect(html).toContain('id="reliability"');
    const verified = runCli(['verify', '--report', join(result.out, 'report')]);
    expect(verified.status, verified.stderr).toBe(0);

    // the evaluation file edited after filter: its hash and its figures no longer match
    writeFileSync(evaluation, JSON.stringify({ ...e, roc_auc: 0.99 }, null, 1) + '\n');
    const edited = runCli(['verify', '--report', join(result.out, 'report')]);
    expect(edited.status).toBe(1);
    expect(edited.stderr).toContain('evaluation file');
    expect(edited.stderr).toContain('differs from the manifest');
    expect(edited.stderr).toContain('its figures differ from the ones the manifest (and report) show');
  });

  it("an evaluation on this corpus's own scores says so", () => {
    const evaluation = evaluate(otherModel, kit.scores, fullLabels);
    const result = filter(otherModel, ['--evaluation', evaluation]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.manifest().evaluation.of_these_scores).toBe(true);
    expect(result.html()).toContain("evaluated on</th><td>this corpus&#39;s scores (the file filtered here)");
  });

  it('the same rows in another layout are this corpus: trained (and evaluated) on a folder of parts, filtered as one file (or JSONL, another order); other values are not', () => {
    // train on the kit's scores as a folder of two parts, rows in corpus order
    const folder = join(kit.dir, 'scores-parts');
    mkdirSync(folder);
    const order = kit.ids.map((_, i) => i);
    writeScores(join(folder, 'part-0.parquet'), kit, order.slice(0, 2000));
    writeScores(join(folder, 'part-1.parquet'), kit, order.slice(2000));
    const model = join(kit.dir, 'risk-parts.json');
    const trained = runCli(['train', '--scores', folder, '--labels', fullLabels, '--label-column', 'mem_student', '--trials', '3', '--output', model]);
    expect(trained.status, trained.stderr).toBe(0);
    const risk = JSON.parse(readFileSync(model, 'utf8'));
    // the folder's bytes are not the file's: only the rows say they are the same
    expect(risk.provenance.inputs.scores.sha256).not.toBe(sha256(kit.scores));
    expect(risk.provenance.inputs.scores.rows_fingerprint.columns).toEqual(['id', 'teacher_ppl', 'baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy']);
    // the fingerprint is the sum mod 2^256 of each row's digest (rowDigest, memsieve-row/v1), computed here from the kit's values
    const sum = kit.ids.reduce((total, id, i) => (total + BigInt(`0x${rowDigest([id, ...FEATURES.map((f) => kit.features[f][i])])}`)) % 2n ** 256n, 0n);
    expect(risk.provenance.inputs.scores.rows_fingerprint.value).toBe(sum.toString(16).padStart(64, '0'));

    const result = filter(model);
    expect(result.status, result.stderr).toBe(0);
    expect(result.manifest().model.trained_on.this_corpus).toBe(true);
    expect(result.html()).toContain('this corpus: its scores are the ones filtered here');
    expect(runCli(['verify', '--report', join(result.out, 'report')]).status).toBe(0);
    const evaluation = JSON.parse(readFileSync(evaluate(model, kit.scores, fullLabels), 'utf8'));
    expect(evaluation.trained_on_these_scores).toBe(true);
    // an evaluation made on the folder is of the scores filtered as one file
    const onFolder = evaluate(model, folder, fullLabels);
    expect(JSON.parse(readFileSync(onFolder, 'utf8')).scores.rows_fingerprint.value).toBe(risk.provenance.inputs.scores.rows_fingerprint.value);
    const withEvaluation = filter(model, ['--evaluation', onFolder]);
    expect(withEvaluation.status, withEvaluation.stderr).toBe(0);
    expect(withEvaluation.manifest().evaluation.of_these_scores).toBe(true);
    expect(runCli(['verify', '--report', join(withEvaluation.out, 'report')]).status).toBe(0);

    // the same rows as JSONL, in another order
    const jsonl = join(kit.dir, 'scores.jsonl');
    writeFileSync(jsonl, order.map((i) => `${JSON.stringify({ id: kit.ids[i], ...Object.fromEntries(FEATURES.map((f) => [f, kit.features[f][i]])) })}\n`).reverse().join(''));
    const fromJsonl = filter(model, [], jsonl);
    expect(fromJsonl.status, fromJsonl.stderr).toBe(0);
    expect(fromJsonl.manifest().model.trained_on.this_corpus).toBe(true);

    // the same ids with one value changed: other scores
    const changed = join(kit.dir, 'scores-changed.parquet');
    writeScores(changed, kit, order, { teacher_ppl: order.map((i) => kit.features.teacher_ppl[i] * (i === 7 ? 1.5 : 1)) });
    const other = filter(model, [], changed);
    expect(other.status, other.stderr).toBe(0);
    expect(other.manifest().model.trained_on.this_corpus).toBe(false);
    expect(other.html()).toContain('another corpus: scores ' + folder);
    expect(runCli(['verify', '--report', join(other.out, 'report')]).status).toBe(0);
  }, 120_000);

  it('verify catches a manifest that misstates where the model was trained', () => {
    const result = filter(kit.model);
    const path = join(result.out, 'report', 'manifest.json');
    const m = result.manifest();
    m.model.trained_on.this_corpus = false;
    writeFileSync(path, JSON.stringify(m));
    const verified = runCli(['verify', '--report', join(result.out, 'report')]);
    expect(verified.status).toBe(1);
    expect(verified.stderr).toContain("manifest says the model was trained on another corpus's scores");
    m.model.trained_on.this_corpus = true;
    m.model.trained_on.scores.sha256 = '0'.repeat(64);
    writeFileSync(path, JSON.stringify(m));
    const again = runCli(['verify', '--report', join(result.out, 'report')]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`trained on scores sha256 ${JSON.parse(readFileSync(kit.model, 'utf8')).provenance.inputs.scores.sha256}`);
  });

  it("refuses another model's evaluation, naming both, and writes nothing", () => {
    const evaluation = evaluate(otherModel, oddScores, oddLabels);
    const result = filter(kit.model, ['--evaluation', evaluation]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`--evaluation ${evaluation} evaluates another model (${otherModel}`);
    expect(result.stderr).toContain(`not --model ${kit.model}`);
    expect(readdirSync(result.out)).toEqual([]);
    // a file that is not an evaluation (here: the risk model itself)
    const notOne = filter(kit.model, ['--evaluation', kit.model]);
    expect(notOne.status).toBe(2);
    expect(notOne.stderr).toContain(`--evaluation ${kit.model}: evaluation schema is "memsieve.risk/v1", this memsieve reads "memsieve.evaluation/v1"`);
    expect(readdirSync(notOne.out)).toEqual([]);
  });
});
