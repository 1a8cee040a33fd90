// docs/api.md's ETL example, run as written (imports from the package entry): score a corpus, filter
// it with a trained risk model, verify the report. Checked against the CLI's own result on the same files.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { filterCorpus, openReader, openWriter, score, verifyReport } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { kitFile, tempDir } from '../helpers/kit.js';
import { makeKitInputs } from '../filter/kit-setup.js';
import { buildOnce, ROOT } from '../pipeline/build.js';

let dir: string;
let riskJson: string;
beforeAll(async () => {
  dir = tempDir('memsieve-api-');
  riskJson = (await makeKitInputs()).model; // a risk.json trained on the kit (memsieve train)
  // a 64-row corpus: the kit's first rows
  const writer = await openWriter(join(dir, 'corpus.parquet'));
  for await (const batch of openReader(kitFile('corpus.parquet'))) {
    await writer.write(batch.slice(0, 64));
    break;
  }
  await writer.close();
});

describe('the Node API (docs/api.md)', () => {
  it('scores, filters and verifies as the CLI does', async () => {
    const cwd = process.cwd();
    process.chdir(dir); // the example uses relative paths
    const models = { teacher: kitFile('teacher.onnx'), baseline: kitFile('baseline.onnx'), tokenizer: kitFile('tokenizer.json') };

    // quiet means silent: the summary is returned, not written to the caller's stderr
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    // --- docs/api.md ---
    const scored = await score({ input: ['corpus.parquet'], output: 'scores.parquet', ...models, maxTokens: 128, quiet: true });
    const { manifest, warnings } = await filterCorpus({
      input: 'corpus.parquet',
      scores: 'scores.parquet',
      model: riskJson,
      clean: 'clean.parquet',
      removed: 'removed.parquet',
      report: 'report',
      targetRecall: 0.99,
      quiet: true,
    });
    // warnings are data: a step can stop on the ones that change what the split means
    if (warnings.some((w) => w.code === 'drift')) throw new Error(warnings.map((w) => w.message).join('\n'));
    const check = await verifyReport('report', { checkRisk: true });
    if (!check.ok) throw new Error(check.problems.join('\n'));
    // --- end ---

    process.stderr.write = write;
    process.chdir(cwd);
    // quiet: nothing written; the one warning (the test's risk.json predates provenance) is in the result
    expect(written.join('')).toBe('');
    expect(warnings).toEqual([{ code: 'model-no-provenance', message: expect.stringMatching(/^--model \S+ records no provenance of its training scores/), option: '--model', file: riskJson }]);
    expect(scored.warnings).toEqual([]);
    expect(scored.rows).toBe(64);
    expect(manifest.summary.rows_in).toBe(64);
    // the CLI on the same corpus and model removes the same rows
    const cli = join(dir, 'cli');
    mkdirSync(cli);
    const scoredByCli = runCli(['score', '-i', join(dir, 'corpus.parquet'), '-o', join(cli, 'scores.parquet'), '--teacher', models.teacher, '--baseline', models.baseline, '--tokenizer', models.tokenizer, '--max-tokens', '128', '-q']);
    expect(scoredByCli.status, scoredByCli.stderr).toBe(0);
    const r = runCli(['filter', '--input', join(dir, 'corpus.parquet'), '--scores', join(cli, 'scores.parquet'), '--model', riskJson, '--clean', join(cli, 'clean.parquet'), '--removed', join(cli, 'removed.parquet'), '--report', join(cli, 'report'), '--target-recall', '0.99']);
    expect(r.status, r.stderr).toBe(0);
    const list = (report: string) => readFileSync(join(report, 'removed-rows.jsonl'), 'utf8');
    expect(list(join(dir, 'report'))).toBe(list(join(cli, 'report')));
    expect(manifest.summary.removed).toBeGreaterThan(0);
  });

  it('a built checkout imports as docs/api.md says: by package name (exports) or dist/index.js, not as a folder', async () => {
    await buildOnce();
    // a project that depends on the checkout (npm install /path/to/memsieve links it the same way)
    const project = tempDir('memsieve-consumer-');
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'memsieve'));
    const probe = (specifier: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(specifier)}); console.log(typeof m.score, typeof m.filterCorpus)`], { cwd: project, encoding: 'utf8' });
    expect(probe('memsieve').stdout.trim()).toBe('function function');
    expect(probe(pathToFileURL(join(ROOT, 'dist', 'index.js')).href).stdout.trim()).toBe('function function');
    const folder = probe(pathToFileURL(ROOT).href);
    expect(folder.status).not.toBe(0);
    expect(folder.stderr).toContain('ERR_UNSUPPORTED_DIR_IMPORT');
  }, 300_000);
});
