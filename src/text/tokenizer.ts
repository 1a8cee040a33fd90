import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { UserError } from '../errors.js';
import type { TokenIds } from '../models/types.js';

export interface Tokenizer {
  readonly path: string;
  /** one more than the largest token id: what the model's logits must cover */
  readonly vocabSize: number;
  encode(text: string): TokenIds;
  /** the first maxTokens ids of encode(text), without encoding the whole of a long text */
  encodeTruncated(text: string, maxTokens: number): TokenIds;
  decode(ids: ArrayLike<number>): string;
  /** sha256 of the tokenizer.json bytes: the tokenizer's identity in provenance */
  readonly sha256: string;
  /** 'tokenizer': the post-processor's special tokens are added; 'none': raw text ids */
  readonly specialTokens: SpecialTokenPolicy;
  /** the ids encode puts before and after the text's own ids (both empty under 'none') */
  readonly addedSpecialIds: { leading: number[]; trailing: number[] };
  /** what it was loaded with: loadTokenizer(path, options) builds the same tokenizer again (worker threads do) */
  readonly options: TokenizerOptions;
}

export type SpecialTokenPolicy = 'tokenizer' | 'none';

export interface TokenizerOptions {
  /**
   * Add the special tokens the tokenizer's post-processor adds (e.g. Llama's BOS), as Hugging Face's
   * encode does by default. Off by default: the kit and the paper encode without them.
   */
  addSpecialTokens?: boolean;
}

/** Load a Hugging Face tokenizer.json. */
export async function loadTokenizer(path: string, options: TokenizerOptions = {}): Promise<Tokenizer> {
  const addSpecialTokens = options.addSpecialTokens ?? false;
  let json: unknown;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new UserError(`--tokenizer ${path}: cannot read a tokenizer.json (${reason})`);
  }
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json as object, {});
  } catch (error) {
    throw new UserError(`--tokenizer ${path}: not a Hugging Face tokenizer.json (${(error as Error).message})`);
  }
  let maxId = -1;
  for (const id of hf.get_vocab(true).values()) if (id > maxId) maxId = id;
  const encode = (text: string): TokenIds => Int32Array.from(hf.encode(text, { add_special_tokens: addSpecialTokens }).ids);
  // what the post-processor adds around any text: encode a one-character text both ways and compare
  const withSpecials: number[] = Array.from(hf.encode('a', { add_special_tokens: addSpecialTokens }).ids);
  const plain: number[] = Array.from(hf.encode('a', { add_special_tokens: false }).ids);
  const leadingCount = indexOfRun(withSpecials, plain);
  const addedSpecialIds = leadingCount < 0
    ? { leading: [] as number[], trailing: [] as number[] }
    : { leading: withSpecials.slice(0, leadingCount), trailing: withSpecials.slice(leadingCount + plain.length) };
  return {
    path,
    options,
    vocabSize: maxId + 1,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    specialTokens: addSpecialTokens ? 'tokenizer' : 'none',
    addedSpecialIds,
    encode,
    encodeTruncated(text, maxTokens) {
      // Byte-level BPE pre-tokenizes at " <non-space>" boundaries, so the tokens before such a cut are
      // the same as in the full text; encode a generous prefix and fall back to the full text if short.
      const budget = maxTokens * 8 + 256;
      if (text.length > budget) {
        const cut = lastWordBoundary(text, budget);
        if (cut > 0) {
          const ids = encode(text.slice(0, cut));
          if (ids.length > maxTokens) return ids.slice(0, maxTokens);
        }
      }
      const ids = encode(text);
      return ids.length > maxTokens ? ids.slice(0, maxTokens) : ids;
    },
    decode: (ids) => hf.decode(Array.from(ids)),
  };
}

/** Where `inner` first stands in `outer`, or -1. */
function indexOfRun(outer: number[], inner: number[]): number {
  for (let i = 0; i + inner.length <= outer.length; i++) {
    if (inner.every((id, j) => outer[i + j] === id)) return i;
  }
  return -1;
}

/** Index of the last " " before `end` with non-space characters on both sides, or -1. */
function lastWordBoundary(text: string, end: number): number {
  for (let i = end; i > 0; i--) {
    if (text[i] === ' ' && /\S/.test(text[i - 1]) && /\S/.test(text[i + 1] ?? '')) return i;
  }
  return -1;
}
