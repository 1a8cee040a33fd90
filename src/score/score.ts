import { withDefaults } from '../defaults.js';
import { openReader, openWriter, withColumns, withSchemaMetadata } from '../io/index.js';
import { OrderedOutput, type PendingChunk } from '../io/ordered-output.js';
import type { Batch, TextStreamOptions } from '../io/types.js';
import type { PairScorer, PairScores, TokenIds } from '../models/types.js';
import { Progress } from '../progress.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { streamTokenized } from '../stage/tokenized.js';
import { zlibBytes, zlibEntropy } from '../text/zlib.js';
import { float64Column, int32Column, nullableBoolColumn, nullableInt32Column, type ScoreColumn } from './columns.js';
import { emptyPairScores } from './features.js';
import { UserError } from '../errors.js';
import { provenanceMetadata, type Provenance } from '../stage/provenance.js';

export interface ScoreOptions extends TextStreamOptions {
  temperature?: number;
  prefixTokens?: number;
  suffixTokens?: number;
  /** Min-K% and Min-K%++: the share of lowest positions averaged */
  minK?: number;
  /** only the paper's columns (the others null): bench/score.ts's reference variant, not a CLI option */
  paperColumnsOnly?: boolean;
  /** how the output is made: into its metadata and the summary */
  provenance?: Provenance;
}

export interface ScoreSummary {
  command: 'score';
  output: string;
  rows: number;
  tokens: number;
  /** rows shorter than prefix + suffix tokens: suffix columns null */
  short_rows: number;
  seconds: number;
  /** of this run (a resumed run scores only the rows after `resumed_rows`) */
  tokens_per_s: number;
  /** rows an interrupted run had written, which this run continued after (0: started afresh) */
  resumed_rows: number;
  /** how the scores were made, as their file's metadata records it (docs/provenance.md) */
  provenance?: Provenance;
}

type ScoreCounts = Pick<ScoreSummary, 'rows' | 'tokens' | 'short_rows'>;

/** Defaults of the paper: 256-token rows, 50-token prefix and suffix, KL at τ = 1; Min-K% at 20% as Shi et al. */
export const SCORE_DEFAULTS = { maxTokens: 256, temperature: 1, prefixTokens: 50, suffixTokens: 50, minK: 0.2, batchSize: 16 };

/** Model calls kept in flight so neither model waits on the main thread. */
const IN_FLIGHT = 3;
const SHORT_ROWS_NAMED = 5;

interface ScoreChunk extends PendingChunk {
  batch: Batch;
  ids: TokenIds[];
  zlib: Int32Array;
  scores: PairScores;
}

/**
 * Stream a corpus, tokenize, score every row with the teacher/baseline pair and write the input
 * columns plus SCORE_COLUMNS. Memory holds a few chunks and IN_FLIGHT model calls, whatever the corpus size.
 */
export async function scoreCorpus(scorer: PairScorer, tokenizer: Tokenizer, options: ScoreOptions): Promise<ScoreSummary> {
  const textColumn = options.textColumn ?? 'text';
  const idColumn = options.idColumn ?? 'id';
  const { maxTokens, temperature, prefixTokens, suffixTokens, minK, batchSize } = withDefaults(SCORE_DEFAULTS, options);
  checkScoreOptions({ maxTokens, prefixTokens, suffixTokens, temperature, minK });
  const { paperColumnsOnly } = options;

  let reader = openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat, shard: options.shard });
  const writer = await openWriter(options.output, { format: options.outputFormat, checkpoint: options.checkpoint });
  // counted as rows are written, so a checkpoint holds the counts of exactly the rows it holds
  const resumed = writer.resumed;
  const written: ScoreCounts = (resumed?.stage as ScoreCounts | undefined) ?? { rows: 0, tokens: 0, short_rows: 0 };
  const resumedTokens = written.tokens;
  if (resumed) reader = openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat, shard: options.shard, skipRows: resumed.rows });
  // the leading special ids (e.g. a BOS) are context: the window, n_tokens and --max-tokens count text tokens
  const leading = tokenizer.addedSpecialIds.leading.length;
  const textTokens = (ids: TokenIds) => ids.length - leading;
  const window = { prefixTokens: prefixTokens + leading, suffixTokens };
  const metadata = options.provenance && provenanceMetadata(options.provenance);
  const assemble = (chunk: ScoreChunk) => {
    written.rows += chunk.batch.numRows;
    for (const ids of chunk.ids) {
      written.tokens += textTokens(ids);
      if (textTokens(ids) < prefixTokens + suffixTokens) written.short_rows++;
    }
    const scored = withColumns(chunk.batch, assembleColumns(chunk, leading));
    return metadata ? withSchemaMetadata(scored, metadata) : scored;
  };
  const output = new OrderedOutput<ScoreChunk>(writer, assemble, IN_FLIGHT, () => ({ ...written }));
  const progress = new Progress({ label: 'score', quiet: options.quiet, expected: () => reader.expected() });
  if (resumed) progress.note(`resuming after row ${resumed.rows}: the output of an interrupted run with the same arguments and inputs`);
  let shortRows = 0;
  let saidIdMissing = false;
  const stream = { textColumn, idColumn, maxTokens, firstRow: resumed?.rows ?? 0 };
  await streamTokenized(reader, tokenizer, options.tokenizerThreads ?? 1, stream, output, async ({ batch, texts, ids, named, firstRow }) => {
    if (!saidIdMissing && !named) {
      saidIdMissing = true;
      progress.note(`no id column '${idColumn}': row indices identify rows in messages`);
    }
    const zlib = Int32Array.from(texts, zlibBytes);
    const n = batch.numRows;
    const chunk: ScoreChunk = { batch, ids, zlib, scores: emptyPairScores(n), remaining: 0 };
    for (let i = 0; i < n; i++) {
      if (textTokens(ids[i]) < prefixTokens + suffixTokens) {
        shortRows++;
        if (shortRows <= SHORT_ROWS_NAMED) {
          progress.note(`row ${firstRow + i}: ${textTokens(ids[i])} tokens < prefix ${prefixTokens} + suffix ${suffixTokens}; suffix and memorization columns null`);
        }
      }
    }
    output.add(chunk);
    // length bucketing: similar lengths share a padded batch
    const order = Array.from(ids.keys()).sort((a, b) => ids[a].length - ids[b].length);
    for (let start = 0; start < n; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      await output.run(chunk, async () => {
        const scores = await scorer.scorePairs(rows.map((r) => ids[r]), { ...window, temperature, minK, paperColumnsOnly });
        for (const key of Object.keys(scores) as (keyof PairScores)[]) {
          rows.forEach((r, k) => (chunk.scores[key][r] = scores[key][k]));
        }
        progress.add(rows.length, rows.reduce((sum, r) => sum + textTokens(ids[r]), 0));
      });
    }
  });
  const seconds = progress.seconds;
  const summary: ScoreSummary = {
    command: 'score',
    output: options.output,
    rows: written.rows,
    tokens: written.tokens,
    short_rows: written.short_rows,
    seconds: Math.round(seconds * 1000) / 1000,
    tokens_per_s: Math.round((written.tokens - resumedTokens) / Math.max(seconds, 1e-9)),
    resumed_rows: resumed?.rows ?? 0,
    ...(options.provenance ? { provenance: options.provenance } : {}),
  };
  progress.end();
  return summary;
}

function assembleColumns(chunk: ScoreChunk, leading: number) {
  const { ids, zlib, scores } = chunk;
  const nTokens = Int32Array.from(ids, (row) => row.length - leading);
  return {
    n_tokens: int32Column(nTokens),
    teacher_nll: float64Column(scores.teacher_nll),
    baseline_nll: float64Column(scores.baseline_nll),
    teacher_ppl: float64Column(scores.teacher_nll.map(Math.exp)),
    baseline_ppl: float64Column(scores.baseline_nll.map(Math.exp)),
    kl_teacher_baseline: float64Column(scores.kl_teacher_baseline),
    zlib_bytes: int32Column(zlib),
    zlib_entropy: float64Column(Float64Array.from(zlib, (bytes, i) => zlibEntropy(bytes, nTokens[i]))),
    teacher_suffix_entropy: float64Column(scores.teacher_suffix_entropy),
    baseline_suffix_entropy: float64Column(scores.baseline_suffix_entropy),
    teacher_suffix_logprob: float64Column(scores.teacher_suffix_logprob),
    baseline_suffix_logprob: float64Column(scores.baseline_suffix_logprob),
    teacher_memorized: nullableBoolColumn(scores.teacher_memorized),
    teacher_lead: nullableInt32Column(scores.teacher_lead),
    baseline_memorized: nullableBoolColumn(scores.baseline_memorized),
    baseline_lead: nullableInt32Column(scores.baseline_lead),
    teacher_mink: float64Column(scores.teacher_mink),
    baseline_mink: float64Column(scores.baseline_mink),
    teacher_minkpp: float64Column(scores.teacher_minkpp),
    baseline_minkpp: float64Column(scores.baseline_minkpp),
    // mimir's zlib attack: loss over the compressed length of the whole text
    teacher_zlib_ratio: float64Column(Float64Array.from(zlib, (bytes, i) => scores.teacher_nll[i] / bytes)),
  } satisfies Record<ScoreColumn, unknown>;
}

/** Option errors found before any model is loaded. */
export function checkScoreOptions(o: { maxTokens: number; prefixTokens: number; suffixTokens: number; temperature: number; minK: number }): void {
  if (o.prefixTokens + o.suffixTokens > o.maxTokens) {
    throw new UserError(`--prefix-tokens ${o.prefixTokens} + --suffix-tokens ${o.suffixTokens} exceed --max-tokens ${o.maxTokens}`);
  }
  if (!(o.temperature > 0)) throw new UserError(`--temperature must be positive (got ${o.temperature})`);
  if (!(o.minK > 0 && o.minK <= 1)) throw new UserError(`--min-k must be in (0, 1] (got ${o.minK})`);
}
