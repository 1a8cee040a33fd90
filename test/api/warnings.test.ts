// Warnings as data: API verbs return what they warned about (a stable code, the one-line message, the option
// and file), print nothing on stderr with quiet: true, print each warning once without it; the CLI prints
// each once under --quiet too. Inputs that warn are made from the kit as a user would: scores without
// provenance (the kit's golden features), scores shifted far outside the training range, a tokenizer whose
// tokenizer_config.json names a BOS its post-processor never adds.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareAuditFiles, filterCorpus, pipeline, score, trainRiskModel, writeRiskModel, type Warning } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { kitFile, tempDir } from '../helpers/kit.js';
import { makeKitInputs, writeScores, type KitInputs } from '../filter/kit-setup.js';

let kit: KitInputs;
let dir: string;
let labels: string;
/** the kit's features with teacher_ppl x1000: every row outside the model's training range */
let shifted: string;

/** Everything written on stderr while `work` runs (in this process). */
async function stderrOf<T>(work: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    return { result: await work(), stderr };
  } finally {
    spy.mockRestore();
  }
}

const codes = (warnings: Warning[]) => warnings.map((w) => w.code);
const NO_PROVENANCE = /records no provenance \(made by another tool or an older memsieve\)/;

beforeAll(async () => {
  kit = await makeKitInputs();
  dir = tempDir('memsieve-warnings-');
  labels = join(dir, 'labels.parquet');
  parquetWriteFile({ filename: labels, columnData: [{ name: 'id', data: kit.ids, type: 'STRING' }, { name: 'mem_student', data: kit.memStudent, type: 'BOOLEAN' }] });
  shifted = join(dir, 'shifted.parquet');
  writeScores(shifted, kit, kit.ids.map((_, i) => i), { teacher_ppl: kit.features.teacher_ppl.map((x) => 1000 * x) });
}, 300_000);

afterEach(() => vi.restoreAllMocks());

describe('API verbs return their warnings', () => {
  it('train on scores without provenance, quiet: nothing on stderr; the warning in the result and onWarning; risk.json without it', async () => {
    const heard: Warning[] = [];
    const { result: model, stderr } = await stderrOf(() => trainRiskModel({ scores: kit.scores, labels, labelColumn: 'mem_student', trials: 3, quiet: true, onWarning: (w) => heard.push(w) }));
    expect(stderr).toBe('');
    expect(model.warnings).toEqual([{ code: 'scores-no-provenance', message: expect.stringMatching(NO_PROVENANCE), option: '--scores', file: kit.scores }]);
    expect(model.warnings[0].message).toContain(`--scores ${kit.scores} `);
    expect(heard).toEqual(model.warnings);
    const path = join(dir, 'risk.json');
    await writeRiskModel(path, model);
    expect(JSON.parse(readFileSync(path, 'utf8'))).not.toHaveProperty('warnings');
  });

  it('filter with scores without provenance and drift, quiet: nothing on stderr; both codes, the same lines as the manifest records', async () => {
    const out = tempDir('memsieve-warnings-filter-');
    const { result, stderr } = await stderrOf(() => filterCorpus({
      input: kit.corpus, scores: shifted, model: kit.model, clean: join(out, 'clean.parquet'), removed: join(out, 'removed.parquet'), report: join(out, 'report'),
      maxRemoved: 1, quiet: true,
    }));
    expect(stderr).toBe('');
    expect(codes(result.warnings)).toEqual(['scores-no-provenance', 'drift']);
    expect(result.warnings[0]).toMatchObject({ option: '--scores', file: shifted, message: expect.stringMatching(NO_PROVENANCE) });
    // the kit's teacher_ppl x1000 puts every row outside its range; the other features are unchanged
    expect(result.warnings[1].message).toMatch(/^rows outside the range the risk model was fitted on: teacher_ppl 100\.0% \(training range /);
    expect(result.manifest.drift!.warned).toEqual(['teacher_ppl']);
    const manifest = JSON.parse(readFileSync(join(out, 'report', 'manifest.json'), 'utf8'));
    expect(manifest.warnings).toEqual(result.warnings.map((w) => w.message));
  });

  it('filter without quiet prints each warning once, as `memsieve: warning: …`', async () => {
    const out = tempDir('memsieve-warnings-filter-');
    const { result, stderr } = await stderrOf(() => filterCorpus({
      input: kit.corpus, scores: shifted, model: kit.model, clean: join(out, 'clean.parquet'), removed: join(out, 'removed.parquet'), report: join(out, 'report'), maxRemoved: 1,
    }));
    expect(stderr).toBe(result.warnings.map((w) => `memsieve: warning: ${w.message}\n`).join(''));
    expect(codes(result.warnings)).toEqual(['scores-no-provenance', 'drift']);
  });

  it('compare with a teacher and a free label but no baseline or student, both without provenance: inputs-no-provenance, compare-roles twice, quiet', async () => {
    const { result, stderr } = await stderrOf(() => compareAuditFiles({ audits: [`teacher=${labels}:mem_student`, `other=${labels}:mem_student`], output: join(dir, 'overlap.json'), quiet: true }));
    expect(stderr).toBe('');
    // labels made by hand record no provenance: the two audits cannot be checked as made alike
    expect(codes(result.warnings)).toEqual(['inputs-no-provenance', 'compare-roles', 'compare-roles']);
    expect(result.warnings[0].message).toMatch(/no provenance/);
    expect(result.warnings[1].message).toMatch(/^no --audit is named student/);
    expect(result.warnings[2].message).toMatch(/^--audit teacher without --audit baseline/);
    // the report counts the kit's memorized rows as the labels hold them
    expect(result.memorized.teacher.count).toBe(kit.memStudent.filter(Boolean).length);
  });

  it('score with a tokenizer whose config names a BOS it never adds, quiet: no progress, no warning on stderr; the summary carries it', async () => {
    const folder = tempDir('memsieve-warnings-tok-');
    copyFileSync(kitFile('tokenizer.json'), join(folder, 'tokenizer.json'));
    writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify({ bos_token: { content: '<|endoftext|>' } }));
    const input = join(folder, 'rows.jsonl');
    writeFileSync(input, `${JSON.stringify({ id: 'a', text: 'The jury said it did not find any evidence.' })}\n`);
    const { result, stderr } = await stderrOf(() => score({
      input: [input], output: join(folder, 'scores.jsonl'), teacher: kitFile('teacher.onnx'), baseline: kitFile('baseline.onnx'), tokenizer: join(folder, 'tokenizer.json'), maxTokens: 128, quiet: true,
    }));
    expect(stderr).toBe('');
    expect(result.rows).toBe(1);
    expect(result.warnings).toEqual([{ code: 'tokenizer-special-tokens', message: expect.stringMatching(/tokenizer_config\.json names bos_token <\|endoftext\|> \(id 0\) but tokenizer\.json's post-processor never adds it/), option: '--tokenizer', file: join(folder, 'tokenizer.json') }]);
  });
});

describe('merging filter shards says the whole corpus\'s warnings', () => {
  it('mergeShards quiet: nothing on stderr, no provenance and drift in the result; `memsieve merge` prints them once', async () => {
    const out = tempDir('memsieve-warnings-merge-');
    const shardArgs = (index: number) => ['filter', '--input', kit.corpus, '--scores', shifted, '--model', kit.model, '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'),
      '--report', join(out, 'report'), '--max-removed', '100%', '--shard-index', String(index), '--shard-count', '2', '-q'];
    for (const index of [0, 1]) expect(runCli(shardArgs(index)).status).toBe(0);
    const { result, stderr } = await stderrOf(() => pipeline.mergeShards(join(out, 'clean.parquet'), { quiet: true, keepParts: true }));
    expect(stderr).toBe('');
    expect(codes(result.warnings)).toEqual(['scores-no-provenance', 'drift']);
    // every row of the kit is outside teacher_ppl's range: 100% over both shards together
    expect(result.warnings[1].message).toMatch(/teacher_ppl 100\.0% /);
    const manifest = JSON.parse(readFileSync(join(out, 'report', 'manifest.json'), 'utf8'));
    expect(manifest.summary.rows_in).toBe(kit.ids.length);
    expect(manifest.warnings).toEqual(result.warnings.map((w) => w.message));
    const merged = runCli(['merge', join(out, 'clean.parquet'), '--keep-parts', '-q']);
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stderr.split('\n').filter((line) => line.startsWith('memsieve: warning: '))).toEqual(result.warnings.map((w) => `memsieve: warning: ${w.message}`));
  });
});

describe('runPipeline returns its steps\' warnings', () => {
  /** one train step on scores without provenance, `quiet: true` as the shipped pipelines set it */
  function trainPipeline(name: string): string {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, `workdir: ${join(dir, `${name}.memsieve`)}
steps:
  - id: train
    kind: train
    inputs: {scores: ${kit.scores}, labels: ${labels}}
    outputs: {output: ${join(dir, `${name}-risk.json`)}}
    options: {label-column: mem_student, trials: 2, quiet: true}
`);
    return path;
  }

  it('quiet: nothing on stderr, the step\'s warning in the run summary', async () => {
    const { result, stderr } = await stderrOf(() => pipeline.runPipeline(trainPipeline('quiet'), { quiet: true }));
    expect(stderr).toBe('');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([['train', 'ran']]);
    expect(result.warnings).toEqual([{ code: 'scores-no-provenance', message: expect.stringMatching(NO_PROVENANCE), option: '--scores', file: kit.scores }]);
  });

  it('not quiet: the warning printed once although the step says quiet; the runner\'s lines go to `log`', async () => {
    const lines: string[] = [];
    const { result, stderr } = await stderrOf(() => pipeline.runPipeline(trainPipeline('loud'), { log: (line) => lines.push(line) }));
    expect(stderr).toBe(`memsieve: warning: ${result.warnings[0].message}\n`);
    expect(codes(result.warnings)).toEqual(['scores-no-provenance']);
    expect(lines.some((line) => line.startsWith('memsieve run '))).toBe(true);
  });
});

describe('the CLI prints every warning once, --quiet or not', () => {
  it('filter -q: the no-provenance and drift warnings, one line each, nothing else', () => {
    const out = tempDir('memsieve-warnings-cli-');
    const run = runCli(['filter', '--input', kit.corpus, '--scores', shifted, '--model', kit.model, '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'),
      '--report', join(out, 'report'), '--max-removed', '100%', '-q']);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^memsieve: warning: --scores ${shifted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${NO_PROVENANCE.source}`));
    expect(lines[1]).toMatch(/^memsieve: warning: rows outside the range the risk model was fitted on: teacher_ppl 100\.0% /);
  });

  it('train --quiet: the no-provenance warning once', () => {
    const run = runCli(['train', '--scores', kit.scores, '--labels', labels, '--label-column', 'mem_student', '--trials', '3', '--output', join(dir, 'cli-risk.json'), '--quiet']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.match(/memsieve: warning: /g)).toHaveLength(1);
    expect(run.stderr).toMatch(NO_PROVENANCE);
  });
});
