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
}

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
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
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
  return {
    path,
    vocabSize: maxId + 1,
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

/** Index of the last " " before `end` with non-space characters on both sides, or -1. */
function lastWordBoundary(text: string, end: number): number {
  for (let i = end; i > 0; i--) {
    if (text[i] === ' ' && /\S/.test(text[i - 1]) && /\S/.test(text[i + 1] ?? '')) return i;
  }
  return -1;
}
