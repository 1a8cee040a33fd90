// Where the model came from, on the record: the manifest and report.html say whether risk.json was
// trained on the scores filtered (same sha256) or on another corpus's, show `memsieve evaluate`'s figures
// when --evaluation is passed (refused for another model's evaluation), and verify re-checks the hashes.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';
import { makeKitInputs, writeScores, type KitInputs } from './kit-setup.js';

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

function filter(model: string, extra: string[] = []) {
  const out = tempDir('memsieve-provenance-');
  const result = runCli(['filter', '--input', kit.corpus, '--scores', kit.scores, '--model', model, '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'), '--report', join(out, 'report'), ...extra]);
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
