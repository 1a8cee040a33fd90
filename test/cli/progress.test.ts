// Progress as a user sees it (issue 19): on a terminal a bar with the total and an ETA, the total from
// the Parquet footer or estimated from the bytes of JSONL read; in logs the same as periodic lines;
// under `memsieve run` each step's progress, even a step whose options say quiet.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openReader } from '../../src/io/index.js';
import { duration } from '../../src/progress.js';
import { runCli } from '../helpers/cli.js';
import { kitFile, tempDir, writeKitHead } from '../helpers/kit.js';
import { makeKitInputs, type KitInputs } from '../filter/kit-setup.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ROWS = 400;
const MODELS = ['--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'), '--tokenizer', kitFile('tokenizer.json')];
const WINDOW = ['--max-tokens', '16', '--prefix-tokens', '4', '--suffix-tokens', '4', '--batch-size', '8'];
const shell = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

let dir: string;
let corpus: string;
let kit: KitInputs;
beforeAll(async () => {
  dir = tempDir('memsieve-progress-');
  corpus = join(dir, 'corpus.parquet');
  // row groups of 50: the reader's batches, so progress moves in steps of 50 rows
  await writeKitHead(corpus, ROWS, 50);
  kit = await makeKitInputs();
});

/** The last of each redrawn bar: what a terminal shows after each redraw. */
function frames(output: string): string[] {
  return output.split(/\r|\n/).map((line) => line.replace(/\x1b\[K/g, '').trim()).filter(Boolean);
}

describe('progress', () => {
  it('duration: seconds, minutes, hours', () => {
    expect([duration(7), duration(75), duration(4000)]).toEqual(['7s', '1m 15s', '1h 06m']);
  });

  it('score on a terminal: a bar with the Parquet total, the rate and an ETA', () => {
    const hasScript = spawnSync('script', ['--version']).status === 0;
    expect(hasScript, 'util-linux script(1) runs the command under a pseudo-terminal').toBe(true);
    const command = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'score', '-i', corpus, '-o', join(dir, 'tty.parquet'), ...MODELS, ...WINDOW];
    const r = spawnSync('script', ['-qec', command.map(shell).join(' '), '/dev/null'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const bars = frames(r.stdout).filter((line) => line.startsWith('score ['));
    expect(bars.length, r.stdout).toBeGreaterThan(0);
    for (const bar of bars) expect(bar).toMatch(/^score \[[#.]{24}\] \d+% \d+\/400 rows, \d+ tokens\/s, ETA \d+(s|m \d\ds|h \d\dm)$/);
    expect(r.stdout).toMatch(/"rows":400/); // the summary after the bar
  });

  it('filter in a log: lines naming the file read, its total from the footer, the rate and an ETA', () => {
    const out = join(dir, 'filter');
    const r = runCli(['filter', '--input', kit.corpus, '--scores', kit.scores, '--model', kit.model, '--clean', join(out, 'c.parquet'), '--removed', join(out, 'r.parquet'), '--report', join(out, 'report')], { env: { MEMSIEVE_PROGRESS_SECONDS: '0' } });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((line) => / filter /.test(line));
    expect(lines.some((line) => /filter scores\.parquet \[[#.]{24}\] \d+% \d+\/5300 rows read, \d+ rows\/s, ETA \d+(s|m \d\ds|h \d\dm)$/.test(line)), r.stderr).toBe(true);
    expect(lines.some((line) => /filter corpus\.parquet \[[#.]{24}\] \d+% \d+\/5300 rows read/.test(line)), r.stderr).toBe(true);
  });

  it('JSONL: the total is estimated from the bytes read (~), and comes within 2% of the rows', async () => {
    const jsonl = join(dir, 'corpus.jsonl');
    const rows: string[] = [];
    for await (const batch of openReader(kitFile('corpus.parquet'))) for (const row of batch.toArray()) rows.push(JSON.stringify({ id: row.id, text: row.text }));
    writeFileSync(jsonl, rows.join('\n') + '\n');
    const r = runCli(['sample', '-i', jsonl, '-o', join(dir, 'half.jsonl'), '--fraction', '50%'], { env: { MEMSIEVE_PROGRESS_SECONDS: '0' } });
    expect(r.status, r.stderr).toBe(0);
    const estimates = [...r.stderr.matchAll(/sample \[[#.]{24}\] \d+% \d+\/~(\d+) rows read, \d+ rows\/s, ETA \d+(s|m \d\ds|h \d\dm)/g)].map((m) => Number(m[1]));
    expect(estimates.length, r.stderr).toBeGreaterThan(0);
    for (const estimate of estimates) expect(Math.abs(estimate - rows.length) / rows.length).toBeLessThan(0.02);
  });

  it("run: a step's progress is shown though the step says quiet; run --quiet shows none", () => {
    const pipeline = join(dir, 'score.yaml');
    writeFileSync(
      pipeline,
      [
        'name: progress',
        'vars:',
        `  out: ${join(dir, 'run')}`,
        'workdir: ${out}/.memsieve',
        'steps:',
        '  - id: score-corpus',
        '    kind: score',
        `    inputs: { input: ${corpus}, teacher: ${kitFile('teacher.onnx')}, baseline: ${kitFile('baseline.onnx')}, tokenizer: ${kitFile('tokenizer.json')} }`,
        '    outputs:',
        '      output: ${out}/scores.parquet',
        "    options: { max-tokens: 16, prefix-tokens: 4, suffix-tokens: 4, batch-size: 8, quiet: true }",
      ].join('\n') + '\n',
    );
    const r = runCli(['run', pipeline], { env: { MEMSIEVE_PROGRESS_SECONDS: '0' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/step score-corpus: score \[[#.]{24}\] \d+% \d+\/400 rows, \d+ tokens\/s, ETA \d+(s|m \d\ds|h \d\dm)/);
    expect(existsSync(join(dir, 'run', 'scores.parquet'))).toBe(true);
    const quiet = runCli(['run', pipeline, '--set', `out=${join(dir, 'quiet')}`, '--quiet'], { env: { MEMSIEVE_PROGRESS_SECONDS: '0' } });
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(existsSync(join(dir, 'quiet', 'scores.parquet'))).toBe(true); // it ran, silently
    expect(quiet.stderr).not.toMatch(/\[[#.]{24}\]/);
  });
});
