// Each bad input: one clear message naming the file/row/option, exit code 2, nothing at the output path.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitFile, tempDir } from '../helpers/kit.js';

const TEXT = 'The Fulton County Grand Jury said Friday an investigation of recent primary election produced no evidence.';

function score(dir: string, input: string, extra: string[] = [], output = join(dir, 'out.parquet')) {
  const result = runCli([
    'score', '-i', input, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
    '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '64', '--prefix-tokens', '8', '--suffix-tokens', '8', '--quiet', ...extra,
  ]);
  return { ...result, output };
}

function expectRejected(result: { status: number | null; stderr: string; output: string }, message: RegExp) {
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(existsSync(result.output)).toBe(false);
}

describe('score rejects bad input', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });

  it('a missing input file', () => {
    expectRejected(score(dir, join(dir, 'nope.parquet')), /nope\.parquet/);
  });

  it('a file that is not Parquet', () => {
    const path = join(dir, 'fake.parquet');
    writeFileSync(path, 'id,text\n1,hello\n');
    expectRejected(score(dir, path), /fake\.parquet.*(not a Parquet|Parquet)/i);
  });

  it('a missing text column', () => {
    const path = join(dir, 'notext.jsonl');
    writeFileSync(path, JSON.stringify({ id: 'a', body: TEXT }) + '\n');
    expectRejected(score(dir, path), /notext\.jsonl has no column "text" for the text \(its columns: .*--text-column/);
  });

  it('a null, an empty and a non-string text, naming the row', () => {
    for (const [name, value, what] of [['null', null, 'null'], ['empty', '', 'empty']] as const) {
      const path = join(dir, `${name}.jsonl`);
      writeFileSync(path, [{ id: 'ok', text: TEXT }, { id: 'bad', text: value }].map((r) => JSON.stringify(r)).join('\n') + '\n');
      expectRejected(score(dir, path), new RegExp(`${name}\\.jsonl: row 1 \\(id bad\\): 'text' is ${what}`));
    }
    // JSONL columns have one type, so a numeric text column is numeric from its first row
    const path = join(dir, 'number.jsonl');
    writeFileSync(path, JSON.stringify({ id: 'bad', text: 42 }) + '\n');
    expectRejected(score(dir, path), /number\.jsonl: row 0 \(id bad\): 'text' is not a string/);
  });

  it('invalid UTF-8 in JSONL, naming the line', () => {
    const path = join(dir, 'latin1.jsonl');
    const good = Buffer.from(JSON.stringify({ id: 'a', text: TEXT }) + '\n');
    const bad = Buffer.concat([Buffer.from('{"id":"b","text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]);
    writeFileSync(path, Buffer.concat([good, bad]));
    expectRejected(score(dir, path), /latin1\.jsonl:2: invalid UTF-8/);
  });

  it('a tokenizer whose vocabulary exceeds the logits', () => {
    const tokenizer = JSON.parse(readFileSync(kitFile('tokenizer.json'), 'utf8'));
    tokenizer.added_tokens.push({ id: 4095, content: '<|extra|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    const tokenizerPath = join(dir, 'big-tokenizer.json');
    writeFileSync(tokenizerPath, JSON.stringify(tokenizer));
    const input = join(dir, 'ok.jsonl');
    writeFileSync(input, JSON.stringify({ id: 'a', text: TEXT }) + '\n');
    const output = join(dir, 'vocab.parquet');
    const result = runCli([
      'score', '-i', input, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
      '--tokenizer', tokenizerPath, '--quiet',
    ]);
    expectRejected({ ...result, output }, /--teacher .*teacher\.onnx: the tokenizer has 4096 tokens but the model's logits cover only 2048/);
  });

  it('an ONNX file without a logits output', () => {
    // rename the output tensor everywhere in the graph: still a valid model, but no 'logits'
    const bytes = readFileSync(kitFile('baseline.onnx'));
    const renamed = Buffer.from(bytes.toString('latin1').replaceAll('logits', 'scores'), 'latin1');
    const model = join(dir, 'nologits.onnx');
    writeFileSync(model, renamed);
    const input = join(dir, 'ok2.jsonl');
    writeFileSync(input, JSON.stringify({ id: 'a', text: TEXT }) + '\n');
    const output = join(dir, 'nologits.parquet');
    const result = runCli([
      'score', '-i', input, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', model, '--tokenizer', kitFile('tokenizer.json'), '--quiet',
    ]);
    expectRejected({ ...result, output }, /--baseline .*nologits\.onnx: the graph has no 'logits' output/);
  });

  it('an output path whose folder does not exist', () => {
    const input = join(dir, 'ok3.jsonl');
    writeFileSync(input, JSON.stringify({ id: 'a', text: TEXT }) + '\n');
    const output = join(dir, 'missing-folder', 'out.parquet');
    expectRejected(score(dir, input, [], output), /missing-folder/);
  });

  it('a suffix window longer than --max-tokens, naming the options', () => {
    const input = join(dir, 'ok4.jsonl');
    writeFileSync(input, JSON.stringify({ id: 'a', text: TEXT }) + '\n');
    expectRejected(score(dir, input, ['--prefix-tokens', '50', '--suffix-tokens', '50']), /--prefix-tokens 50 \+ --suffix-tokens 50 exceed --max-tokens 64/);
  });

  it('a --min-k outside (0, 1], naming the option', () => {
    const input = join(dir, 'ok5.jsonl');
    writeFileSync(input, JSON.stringify({ id: 'a', text: TEXT }) + '\n');
    for (const value of ['0', '1.5', 'a fifth']) expectRejected(score(dir, input, ['--min-k', value]), /--min-k.*\(0, 1\]/);
  });
});
