// --tokenizer-threads changes where tokenization runs, never the output: score and audit write the same
// bytes with tokenization on the main thread (as before the pool), on 1 and on 2 worker threads.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageFingerprint } from '../../src/stage/fingerprint.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, kitGolden, readParquetRows, tempDir } from '../helpers/kit.js';

const ROWS = [...Array.from({ length: 30 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 5280 + i)];
const dir = tempDir();
// three files, so three batches: reading ahead has something to overlap
const inputs = [0, 1, 2].map((part) => join(dir, `slice-${part}.jsonl`));

beforeAll(async () => {
  const corpus = await kitCorpus();
  inputs.forEach((path, part) => {
    const rows = ROWS.filter((_, i) => i % 3 === part).map((r) => JSON.stringify({ id: corpus[r].id, text: corpus[r].text }));
    writeFileSync(path, `${rows.join('\n')}\n`);
  });
});

function run(command: 'score' | 'audit', threads: number): Buffer {
  const output = join(dir, `${command}-${threads}.parquet`);
  const models = command === 'score'
    ? ['--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx')]
    : ['--model', kitFile('teacher.onnx')];
  const result = runCli([command, '-i', ...inputs, '-o', output, ...models, '--tokenizer', kitFile('tokenizer.json'),
    '--max-tokens', '128', '--batch-size', '8', '--tokenizer-threads', String(threads), '-q']);
  expect(result.status, result.stderr).toBe(0);
  return readFileSync(output);
}

describe('--tokenizer-threads', () => {
  it('score: the same bytes with 0, 1 and 2 tokenizer threads, and the kit\'s golden values', async () => {
    const [main, one, two] = [0, 1, 2].map((threads) => run('score', threads));
    expect(one.equals(main)).toBe(true);
    expect(two.equals(main)).toBe(true);
    const golden = await kitGolden();
    const rows = await readParquetRows(join(dir, 'score-2.parquet'));
    const order = [0, 1, 2].flatMap((part) => ROWS.filter((_, i) => i % 3 === part));
    expect(rows.map((row) => row.id)).toEqual(order.map((r) => golden[r].id));
    rows.forEach((row, i) => {
      expect(row.n_tokens).toBe(Number(golden[order[i]].n_tokens));
      expect(Math.abs(row.teacher_nll - golden[order[i]].nll_teacher) / golden[order[i]].nll_teacher).toBeLessThanOrEqual(1e-3);
    });
  });

  it('audit: the same bytes with 0 and 2 tokenizer threads', () => {
    expect(run('audit', 2).equals(run('audit', 0))).toBe(true);
  });

  it('does not change the fingerprint a resumed run must match', () => {
    const options = { input: inputs, tokenizer: kitFile('tokenizer.json'), maxTokens: 128 };
    expect(stageFingerprint('score', { ...options, tokenizerThreads: 2 })).toBe(stageFingerprint('score', { ...options, tokenizerThreads: 1 }));
    expect(stageFingerprint('score', { ...options, maxTokens: 64 })).not.toBe(stageFingerprint('score', options));
  });
});
