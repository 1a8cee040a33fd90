// --add-special-tokens: encoding as the tokenizer's post-processor says (a Llama-style BOS here), for
// score, audit and distill; off by default, as in the kit and the paper.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';

const BOS = 0; // the kit's <|endoftext|>
let withBos: string;
let texts: string[];
beforeAll(async () => {
  // the kit tokenizer with a post-processor that puts <|endoftext|> first, as Llama's puts <s>
  const json = JSON.parse(readFileSync(kitFile('tokenizer.json'), 'utf8'));
  json.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [BOS], tokens: ['<|endoftext|>'] } },
  };
  withBos = join(tempDir(), 'tokenizer.json');
  writeFileSync(withBos, JSON.stringify(json));
  texts = (await kitCorpus()).slice(0, 2).map((row) => row.text as string);
});

describe('--add-special-tokens', () => {
  it('puts the post-processor\'s BOS first, before truncation, and only when asked', async () => {
    const plain = await loadTokenizer(kitFile('tokenizer.json'));
    const off = await loadTokenizer(withBos);
    const on = await loadTokenizer(withBos, { addSpecialTokens: true });
    const long = texts[0];
    expect(Array.from(off.encodeTruncated(long, 64))).toEqual(Array.from(plain.encodeTruncated(long, 64)));
    expect(Array.from(on.encodeTruncated(long, 64))).toEqual([BOS, ...plain.encodeTruncated(long, 63)]);
    expect(Array.from(on.encode('The jury said.'))).toEqual([BOS, ...plain.encode('The jury said.')]);
  });

  it('score counts the BOS in n_tokens and scores the first text token after it', async () => {
    const dir = tempDir();
    const input = join(dir, 'rows.jsonl');
    writeFileSync(input, [{ id: 'a', text: 'The jury said it did not find.' }, { id: 'b', text: texts[1] }].map((r) => JSON.stringify(r)).join('\n'));
    const run = (name: string, extra: string[]) => {
      const output = join(dir, name);
      const r = runCli(['score', '-i', input, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
        '--tokenizer', withBos, '--max-tokens', '128', '-q', ...extra]);
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    };
    const [off, on] = [run('off.jsonl', []), run('on.jsonl', ['--add-special-tokens'])];
    const plain = await loadTokenizer(kitFile('tokenizer.json'));
    expect(off[0].n_tokens).toBe(plain.encode('The jury said it did not find.').length);
    expect(on[0].n_tokens).toBe(off[0].n_tokens + 1);
    expect(on[1].n_tokens).toBe(128); // truncated: the BOS takes one of the 128
    // one more predicted position (the first text token, after the BOS): a different mean
    expect(on[0].teacher_nll).not.toBeCloseTo(off[0].teacher_nll, 6);
  });
});
