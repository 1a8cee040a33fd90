// Sequence-level KD targets (Kim & Rush 2016) as auditable data: the teacher greedily continues each
// row's first k tokens up to the row's own length; per row, how much of the continuation reproduces
// the corpus (regurgitation) and whether it oscillates. Streams; any Generator backend.
import { Bool, Field, Float64, Int32, List, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { withDefaults } from '../defaults.js';
import { UserError } from '../errors.js';
import { openReader, openWriter, withColumns, withSchemaMetadata, writeFileAtomic } from '../io/index.js';
import { provenanceMetadata, type Provenance } from '../stage/provenance.js';
import { OrderedOutput, type PendingChunk } from '../io/ordered-output.js';
import type { Batch, TextStreamOptions } from '../io/types.js';
import type { Generator, TokenIds } from '../models/types.js';
import { Progress } from '../progress.js';
import { streamTokenized } from '../stage/tokenized.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { countLead } from '../audit/measures.js';
import { DEFAULT_OSCILLATION_NGRAM, DEFAULT_OSCILLATION_THRESHOLD, measureOscillation } from '../audit/hallucination.js';
import { withWarningsSaid } from '../stage/warnings.js';

/** distill's settings: 50-token prompts, rows truncated to 128 tokens. */
export const TARGETS_DEFAULTS = {
  maxTokens: 128,
  prefixTokens: 50,
  batchSize: 32,
  oscillationNgram: DEFAULT_OSCILLATION_NGRAM,
  oscillationThreshold: DEFAULT_OSCILLATION_THRESHOLD,
};

/** Columns `targets` appends, in order; definitions: docs/torch.md, "Sequence-level distillation". */
export const TARGET_COLUMNS = [
  'prompt_tokens',
  'prompt_ids',
  'continuation_ids',
  'continuation_text',
  'regurgitated_tokens',
  'regurgitated',
  'top_ngram_count',
  'reference_top_ngram_count',
  'oscillatory',
  'loop_share',
] as const;

export interface TargetsOptions extends TextStreamOptions {
  prefixTokens?: number;
  oscillationNgram?: number;
  oscillationThreshold?: number;
  /** what the summary names as the teacher (its path) */
  teacher?: string;
  /** how the targets are made, recorded in the output's metadata and the summary (docs/provenance.md) */
  provenance?: Provenance;
}

/** `<output>.summary.json`: how the targets were made (distill checks it) and what they hold. */
export interface TargetsSummary {
  command: 'targets';
  teacher: string | null;
  output: string;
  tokenizer: { path: string; sha256: string; special_tokens: string };
  prefix_tokens: number;
  max_tokens: number;
  oscillation_ngram: number;
  oscillation_threshold: number;
  rows: number;
  /** rows longer than the prompt: the teacher wrote a continuation */
  continued: number;
  /** continued rows whose whole continuation is the corpus suffix */
  regurgitated: number;
  /** leading continuation tokens equal to the corpus, summed over rows */
  regurgitated_tokens: number;
  continuation_tokens: number;
  oscillatory: number;
  seconds: number;
  resumed_rows: number;
  /** how the targets were made, as their file's metadata records it (docs/provenance.md) */
  provenance?: Provenance;
}

type TargetCounts = Pick<TargetsSummary, 'rows' | 'continued' | 'regurgitated' | 'regurgitated_tokens' | 'continuation_tokens' | 'oscillatory'>;

export function targetsSummaryPath(output: string): string {
  return `${output}.summary.json`;
}

export function checkTargetsOptions(o: { maxTokens: number; prefixTokens: number; oscillationNgram: number; oscillationThreshold: number }): void {
  if (!(Number.isInteger(o.prefixTokens) && o.prefixTokens >= 1)) throw new UserError(`--prefix-tokens must be a positive integer (got ${o.prefixTokens})`);
  if (o.prefixTokens >= o.maxTokens) {
    throw new UserError(`--prefix-tokens ${o.prefixTokens} is not below --max-tokens ${o.maxTokens}: the teacher would continue no row`);
  }
  if (!(Number.isInteger(o.oscillationNgram) && o.oscillationNgram >= 1)) throw new UserError(`--oscillation-ngram must be a positive integer (got ${o.oscillationNgram})`);
  if (!(Number.isInteger(o.oscillationThreshold) && o.oscillationThreshold >= 1)) {
    throw new UserError(`--oscillation-threshold must be a positive integer (got ${o.oscillationThreshold})`);
  }
}

/** One row's target: the teacher's continuation and its measures (null for rows of ≤ k tokens). */
export interface RowTarget {
  promptTokens: number;
  prompt: TokenIds;
  continuation: TokenIds;
  measures: null | {
    regurgitated_tokens: number;
    regurgitated: boolean;
    top_ngram_count: number;
    reference_top_ngram_count: number;
    oscillatory: boolean;
    loop_share: number;
  };
}

/** The measures of a continuation against the corpus tokens it replaces. */
export function measureTarget(reference: TokenIds, continuation: TokenIds, ngram: number, threshold: number): NonNullable<RowTarget['measures']> {
  const regurgitated = countLead(reference, continuation);
  return { regurgitated_tokens: regurgitated, regurgitated: regurgitated === reference.length, ...measureOscillation(reference, continuation, ngram, threshold) };
}

const IN_FLIGHT = 2;

interface TargetsChunk extends PendingChunk {
  batch: Batch;
  targets: RowTarget[];
}

/**
 * Continue every row of a corpus with `teacher`, writing the input columns plus TARGET_COLUMNS,
 * then `<output>.summary.json`.
 */
export async function generateTargets(teacher: Generator, tokenizer: Tokenizer, options: TargetsOptions): Promise<TargetsSummary> {
  const textColumn = options.textColumn ?? 'text';
  const idColumn = options.idColumn ?? 'id';
  const { maxTokens, prefixTokens, batchSize, oscillationNgram, oscillationThreshold } = withDefaults(TARGETS_DEFAULTS, options);
  checkTargetsOptions({ maxTokens, prefixTokens, oscillationNgram, oscillationThreshold });

  let reader = openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat, shard: options.shard });
  const writer = await openWriter(options.output, { format: options.outputFormat, checkpoint: options.checkpoint });
  const resumed = writer.resumed;
  const written: TargetCounts = (resumed?.stage as TargetCounts | undefined) ?? {
    rows: 0, continued: 0, regurgitated: 0, regurgitated_tokens: 0, continuation_tokens: 0, oscillatory: 0,
  };
  if (resumed) reader = openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat, shard: options.shard, skipRows: resumed.rows });
  const metadata = options.provenance && provenanceMetadata(options.provenance);
  const assemble = (chunk: TargetsChunk) => {
    written.rows += chunk.batch.numRows;
    for (const t of chunk.targets) {
      if (!t.measures) continue;
      written.continued++;
      written.continuation_tokens += t.continuation.length;
      written.regurgitated_tokens += t.measures.regurgitated_tokens;
      if (t.measures.regurgitated) written.regurgitated++;
      if (t.measures.oscillatory) written.oscillatory++;
    }
    const made = withColumns(chunk.batch, targetColumns(chunk.targets, tokenizer));
    return metadata ? withSchemaMetadata(made, metadata) : made;
  };
  const output = new OrderedOutput<TargetsChunk>(writer, assemble, IN_FLIGHT, () => ({ ...written }));
  const progress = new Progress({ label: 'targets', quiet: options.quiet, expected: () => reader.expected() });
  if (resumed) progress.note(`resuming after row ${resumed.rows}: the output of an interrupted run with the same arguments and inputs`);
  // the leading special ids (e.g. a BOS) are context: the prompt is them + k text tokens, as audit's
  const k = prefixTokens + tokenizer.addedSpecialIds.leading.length;
  const stream = { textColumn, idColumn, maxTokens, firstRow: resumed?.rows ?? 0 };
  await streamTokenized(reader, tokenizer, options.tokenizerThreads ?? 1, stream, output, async ({ batch, ids }) => {
    const targets: RowTarget[] = ids.map((row) => ({ promptTokens: Math.min(k, row.length), prompt: row.subarray(0, k), continuation: new Int32Array(0), measures: null }));
    const chunk: TargetsChunk = { batch, targets, remaining: 0 };
    output.add(chunk);
    // longest first, so each call decodes about as many tokens as each of its rows needs
    const continued = ids.flatMap((row, i) => (row.length > k ? [i] : [])).sort((a, b) => ids[b].length - ids[a].length);
    for (let start = 0; start < continued.length; start += batchSize) {
      const members = continued.slice(start, start + batchSize);
      const steps = ids[members[0]].length - k;
      await output.run(chunk, async () => {
        // greedy is causal: a row's first n tokens of a longer continuation are its n-token continuation
        const generated = await teacher.greedy(members.map((i) => ids[i].subarray(0, k)), steps);
        members.forEach((i, j) => {
          const continuation = generated[j].slice(0, ids[i].length - k);
          targets[i].continuation = continuation;
          targets[i].measures = measureTarget(ids[i].subarray(k), continuation, oscillationNgram, oscillationThreshold);
        });
        progress.add(members.length, members.length * steps);
      });
    }
  });
  const summary: TargetsSummary = {
    command: 'targets',
    teacher: options.teacher ?? null,
    output: options.output,
    tokenizer: { path: tokenizer.path, sha256: tokenizer.sha256, special_tokens: tokenizer.specialTokens },
    prefix_tokens: prefixTokens,
    max_tokens: maxTokens,
    oscillation_ngram: oscillationNgram,
    oscillation_threshold: oscillationThreshold,
    rows: written.rows,
    continued: written.continued,
    regurgitated: written.regurgitated,
    regurgitated_tokens: written.regurgitated_tokens,
    continuation_tokens: written.continuation_tokens,
    oscillatory: written.oscillatory,
    seconds: Math.round(progress.seconds * 1000) / 1000,
    resumed_rows: resumed?.rows ?? 0,
    ...(options.provenance ? { provenance: options.provenance } : {}),
  };
  if (options.output !== '-') await writeFileAtomic(targetsSummaryPath(options.output), `${JSON.stringify(withWarningsSaid(summary), null, 1)}\n`);
  progress.end();
  return summary;
}

function targetColumns(targets: RowTarget[], decoder: Pick<Tokenizer, 'decode'>): Record<string, Vector> {
  const ints = () => new List(new Field('item', new Int32(), true));
  const m = targets.map((t) => t.measures);
  return {
    prompt_tokens: vectorFromArray(targets.map((t) => t.promptTokens), new Int32()),
    prompt_ids: vectorFromArray(targets.map((t) => Array.from(t.prompt)), ints()),
    continuation_ids: vectorFromArray(targets.map((t) => Array.from(t.continuation)), ints()),
    continuation_text: vectorFromArray(targets.map((t) => decoder.decode(t.continuation)), new Utf8()),
    regurgitated_tokens: vectorFromArray(m.map((x) => x?.regurgitated_tokens ?? null), new Int32()),
    regurgitated: vectorFromArray(m.map((x) => x?.regurgitated ?? null), new Bool()),
    top_ngram_count: vectorFromArray(m.map((x) => x?.top_ngram_count ?? null), new Int32()),
    reference_top_ngram_count: vectorFromArray(m.map((x) => x?.reference_top_ngram_count ?? null), new Int32()),
    oscillatory: vectorFromArray(m.map((x) => x?.oscillatory ?? null), new Bool()),
    loop_share: vectorFromArray(m.map((x) => x?.loop_share ?? null), new Float64()),
  };
}
