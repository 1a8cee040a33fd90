// Exact BPE in word-sized pieces for SentencePiece-style tokenizers that pre-split nothing (Gemma 3: its
// normalizer turns spaces into ▁ before its pre-tokenizer looks for spaces, so BPE runs over the whole row and
// the library's word cache never applies). Written here because the library has no such mode.
//
// Why it is exact: a BPE merge only ever joins two neighbouring symbols into one that is itself a merge result.
// If no merge joins a symbol ending in character c (c not ▁) to one starting with ▁, no symbol can span the
// point between c and a ▁, so BPE of the whole text is BPE of the pieces on either side, concatenated (merges in
// one piece never change the pairs of another, and within a piece they run in the same rank order). memsieve
// cuts only before a ▁ whose left neighbour is such a c, read from the tokenizer's own merges.

/** The parts of a tokenizer.json this reads. */
interface TokenizerJson {
  normalizer?: unknown;
  pre_tokenizer?: unknown;
  model?: {
    type?: string;
    dropout?: unknown;
    continuing_subword_prefix?: unknown;
    end_of_word_suffix?: unknown;
    ignore_merges?: unknown;
    merges?: unknown;
  };
  added_tokens?: { content: string; normalized?: boolean; lstrip?: boolean; rstrip?: boolean; single_word?: boolean }[];
}

const SPACE = 0x20;
const METASPACE = 0x2581; // ▁
/** Pieces longer than this are encoded but not cached (rare, and they would crowd out words). */
const MAX_CACHED_PIECE = 64;
/** Pieces cached per tokenizer; the cache starts over when full (a bounded memory, not an LRU). */
const CACHE_CAPACITY = 100_000;

/** Encodes raw text (no special tokens) into a piece's ids; the library's own encode. */
export type EncodePiece = (piece: string) => number[];

/**
 * An encoder giving the library's ids for a whole text, piece by piece with a cache, stopping once `maxTokens`
 * ids are certain; undefined when the tokenizer is not of the shape where that is exact.
 */
export function piecewiseEncoder(json: unknown, encodePiece: EncodePiece): ((text: string, maxTokens?: number) => number[]) | undefined {
  const unsafeLeft = cutBlockers(json as TokenizerJson);
  if (!unsafeLeft) return undefined;
  const cache = new Map<string, number[]>();
  const encodeCached = (piece: string): number[] => {
    let ids = cache.get(piece);
    if (ids === undefined) {
      ids = encodePiece(piece);
      if (piece.length <= MAX_CACHED_PIECE) {
        if (cache.size >= CACHE_CAPACITY) cache.clear();
        cache.set(piece, ids);
      }
    }
    return ids;
  };
  return (text, maxTokens = Infinity) => {
    const out: number[] = [];
    let start = 0;
    const take = (end: number) => {
      for (const id of encodeCached(text.slice(start, end))) out.push(id);
      start = end;
    };
    for (let at = 1; at < text.length && out.length < maxTokens; at++) {
      const here = text.charCodeAt(at);
      if (here !== SPACE && here !== METASPACE) continue;
      const left = text.charCodeAt(at - 1);
      if (left === SPACE || left === METASPACE || unsafeLeft.has(left)) continue;
      take(at);
    }
    if (out.length < maxTokens && start < text.length) take(text.length);
    return out.length > maxTokens ? out.slice(0, maxTokens) : out;
  };
}

/**
 * The characters after which a cut before ▁ is not safe (those some merge joins to a ▁-initial symbol), or
 * undefined when the tokenizer is not a metaspace BPE whose pieces can be encoded apart: anything else the
 * normalizer or pre-tokenizer does, dropout, word affixes, ignore_merges, or added tokens that strip or span spaces.
 */
function cutBlockers(t: TokenizerJson): Set<number> | undefined {
  const replacesSpaces = isRecord(t.normalizer) && t.normalizer.type === 'Replace' && isRecord(t.normalizer.pattern) && t.normalizer.pattern.String === ' ' && t.normalizer.content === '▁';
  // a Split on ' ' after that normalizer finds no space: it splits nothing (Gemma 3's file has one)
  const splitsNothing =
    t.pre_tokenizer == null || (isRecord(t.pre_tokenizer) && t.pre_tokenizer.type === 'Split' && isRecord(t.pre_tokenizer.pattern) && t.pre_tokenizer.pattern.String === ' ');
  const m = t.model;
  const plainBpe = m?.type === 'BPE' && m.dropout == null && !m.continuing_subword_prefix && !m.end_of_word_suffix && m.ignore_merges !== true && Array.isArray(m.merges);
  if (!replacesSpaces || !splitsNothing || !plainBpe) return undefined;
  for (const added of t.added_tokens ?? []) {
    if (added.normalized || added.lstrip || added.rstrip || added.single_word) return undefined;
    if (/[^ ▁][ ▁]/.test(added.content)) return undefined;
  }
  const blockers = new Set<number>();
  for (const merge of m.merges as unknown[]) {
    const pair = typeof merge === 'string' ? splitMergeString(merge) : merge;
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') return undefined;
    const [left, right] = pair as [string, string];
    const last = left.charCodeAt(left.length - 1);
    if (left.length > 0 && last !== METASPACE && right.charCodeAt(0) === METASPACE) blockers.add(last);
  }
  return blockers;
}

/** An old-style "left right" merge string. */
function splitMergeString(merge: string): [string, string] | undefined {
  const at = merge.indexOf(' ', 1);
  return at < 0 ? undefined : [merge.slice(0, at), merge.slice(at + 1)];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
