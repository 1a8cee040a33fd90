import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { UserError } from '../errors.js';
import type { TokenIds } from '../models/types.js';
import { piecewiseEncoder } from './piecewise-bpe.js';

export interface Tokenizer {
  readonly path: string;
  /** one more than the largest token id: what the model's logits must cover */
  readonly vocabSize: number;
  /** the ids the model sees: the leading special ids, then the text's own ids */
  encode(text: string): TokenIds;
  /** the leading special ids, then the first maxTokens of the text's own ids (max counts text tokens) */
  encodeTruncated(text: string, maxTokens: number): TokenIds;
  decode(ids: ArrayLike<number>): string;
  /** sha256 of the tokenizer.json bytes: the tokenizer's identity in provenance */
  readonly sha256: string;
  /** 'tokenizer': the post-processor's special tokens are added; 'none': raw text ids */
  readonly specialTokens: SpecialTokenPolicy;
  /**
   * The ids encode puts before and after the text's own ids (both empty under 'none'). Trailing ones are
   * never added: a causal LM scored on a (possibly truncated) row should not be asked to predict an EOS.
   */
  readonly addedSpecialIds: { leading: number[]; trailing: number[] };
  /** one-line warnings about the special tokens, for the stage to print once */
  readonly warnings: readonly string[];
  /** what it was loaded with: loadTokenizer(path, options) builds the same tokenizer again (worker threads do) */
  readonly options: TokenizerOptions;
}

export const SPECIAL_TOKEN_POLICIES = ['tokenizer', 'none'] as const;
export type SpecialTokenPolicy = (typeof SPECIAL_TOKEN_POLICIES)[number];

/** Plain data, so a worker thread can load the same tokenizer. */
export interface TokenizerOptions {
  /**
   * 'tokenizer' (default): add the special tokens the tokenizer's post-processor puts before the text (e.g.
   * Gemma's <bos>), as Hugging Face's encode does by default; 'none': raw text ids (Pythia-style evals).
   */
  specialTokens?: SpecialTokenPolicy;
}

/** Load a Hugging Face tokenizer.json. */
export async function loadTokenizer(path: string, options: TokenizerOptions = {}): Promise<Tokenizer> {
  const specialTokens = options.specialTokens ?? 'tokenizer';
  if (!(SPECIAL_TOKEN_POLICIES as readonly string[]).includes(specialTokens)) {
    throw new UserError(`--special-tokens ${specialTokens}: use ${SPECIAL_TOKEN_POLICIES.join(' or ')}`);
  }
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
  const libraryIds = (text: string): number[] => hf.encode(text, { add_special_tokens: false }).ids;
  const piecewise = piecewiseEncoder(json, libraryIds);
  const textIds = (text: string): TokenIds => Int32Array.from(piecewise ? piecewise(text) : libraryIds(text));
  const post = specialTokens === 'tokenizer' ? postProcessorSpecials(hf, path) : { leading: [], trailing: [] };
  const leading = post.leading;
  const warnings: string[] = [];
  if (specialTokens === 'tokenizer') {
    if (post.trailing.length > 0) {
      warnings.push(`--tokenizer ${path}: the post-processor also appends special ids [${post.trailing.join(', ')}] after the text; memsieve leaves them off (a causal LM is not scored on predicting the end of a row)`);
    }
    const bos = await configuredBos(path, hf);
    if (bos && !leading.includes(bos.id)) {
      warnings.push(`--tokenizer ${path}: tokenizer_config.json names bos_token ${bos.token} (id ${bos.id}) but tokenizer.json's post-processor never adds it; if the model was trained with it, use a tokenizer.json whose post-processor adds it (as current Llama-3 files do)`);
    }
  }
  const withLeading = (ids: TokenIds): TokenIds => {
    if (leading.length === 0) return ids;
    const out = new Int32Array(leading.length + ids.length);
    out.set(leading);
    out.set(ids, leading.length);
    return out;
  };
  return {
    path,
    options,
    vocabSize: maxId + 1,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    specialTokens,
    addedSpecialIds: { leading, trailing: [] },
    warnings,
    encode: (text) => withLeading(textIds(text)),
    encodeTruncated(text, maxTokens) {
      if (piecewise) return withLeading(Int32Array.from(piecewise(text, maxTokens)));
      // Byte-level BPE pre-tokenizes at " <non-space>" boundaries, so the tokens before such a cut are
      // the same as in the full text: encode a prefix about as long as maxTokens tokens need (English runs
      // 4–5 characters a token), a generous one when that falls short, and the full text last.
      for (const budget of [maxTokens * 6 + 64, maxTokens * 8 + 256]) {
        if (text.length <= budget) break;
        const cut = lastWordBoundary(text, budget);
        if (cut > 0) {
          const ids = textIds(text.slice(0, cut));
          if (ids.length > maxTokens) return withLeading(ids.slice(0, maxTokens));
        }
      }
      const ids = textIds(text);
      return withLeading(ids.length > maxTokens ? ids.slice(0, maxTokens) : ids);
    },
    decode: (ids) => hf.decode(Array.from(ids)),
  };
}

/**
 * The special ids the post-processor puts before and after any text: found by encoding probe texts with
 * and without them. A post-processor that does more than wrap the text in fixed ids is refused, since
 * the window could not tell text tokens from special ones.
 */
function postProcessorSpecials(hf: HfTokenizer, path: string): { leading: number[]; trailing: number[] } {
  let found: { leading: number[]; trailing: number[] } | undefined;
  for (const probe of ['a', 'The jury said it did not find.']) {
    const withSpecials: number[] = Array.from(hf.encode(probe, { add_special_tokens: true }).ids);
    const plain: number[] = Array.from(hf.encode(probe, { add_special_tokens: false }).ids);
    const at = indexOfRun(withSpecials, plain);
    const here = at < 0 ? undefined : { leading: withSpecials.slice(0, at), trailing: withSpecials.slice(at + plain.length) };
    if (!here || (found && (found.leading.join() !== here.leading.join() || found.trailing.join() !== here.trailing.join()))) {
      throw new UserError(`--tokenizer ${path}: its post-processor changes the text's own ids, not only adds special tokens around them; use --no-special-tokens`);
    }
    found = here;
  }
  return found!;
}

/** The bos_token that tokenizer_config.json next to tokenizer.json names (unless add_bos_token is false). */
async function configuredBos(path: string, hf: HfTokenizer): Promise<{ token: string; id: number } | undefined> {
  let config: { bos_token?: unknown; add_bos_token?: unknown };
  try {
    config = JSON.parse(await readFile(join(dirname(path), 'tokenizer_config.json'), 'utf8'));
  } catch {
    return undefined; // no config (or an unreadable one): nothing to compare with
  }
  if (config.add_bos_token === false) return undefined;
  const raw = config.bos_token;
  const token = typeof raw === 'string' ? raw : typeof (raw as { content?: unknown } | null)?.content === 'string' ? (raw as { content: string }).content : undefined;
  if (token === undefined) return undefined;
  const id = hf.token_to_id(token);
  return id === undefined ? undefined : { token, id };
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
