// Discoverable memorization (Carlini et al. 2023): would greedy continuation of each row's first k
// tokens for exactly m tokens reproduce the row's tokens k..k+m? Answered from one teacher-forced pass
// by default (methods.ts). Streams; any Generator backend.
import { withDefaults } from '../defaults.js';
import { Bool, Field, Float64, Int32, List, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { UserError } from '../errors.js';
import { provenanceMetadata, type Provenance } from '../stage/provenance.js';
import { openReader, openWriter, withColumns, writeFileAtomic, withSchemaMetadata } from '../io/index.js';
import { OrderedOutput, type PendingChunk } from '../io/ordered-output.js';
import type { Batch, TextStreamOptions } from '../io/types.js';
import type { Generator, TokenIds } from '../models/types.js';
import { Progress } from '../progress.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { streamTokenized } from '../stage/tokenized.js';
import { DEFAULT_APPROX_THRESHOLD } from './measures.js';
import { DEFAULT_OSCILLATION_NGRAM, DEFAULT_OSCILLATION_THRESHOLD, measureOscillation } from './hallucination.js';
import { AUDIT_METHODS, auditBatch, type AuditMethod, type RowAudit } from './methods.js';
import { withWarningsSaid } from '../stage/warnings.js';

/** The paper's setting: 50-token prefix, 50-token greedy continuation, rows truncated to 256 tokens. */
export const AUDIT_DEFAULTS = {
  maxTokens: 256,
  prefixTokens: 50,
  suffixTokens: 50,
  batchSize: 32,
  approxThreshold: DEFAULT_APPROX_THRESHOLD,
  method: 'one-pass' as AuditMethod,
};

/** Columns `audit` appends, in order; definitions: docs/audit.md. */
export const AUDIT_COLUMNS = ['memorized', 'lead'] as const;
/** Only when the decoded measures are computed (approximate, keepGenerations or method greedy). */
export const DECODED_COLUMNS = ['match_fraction', 'approx_memorized'] as const;
/** Only with oscillation: the hallucination measures of the decoded continuation (hallucination.ts). */
export const OSCILLATION_COLUMNS = ['top_ngram_count', 'reference_top_ngram_count', 'oscillatory', 'loop_share'] as const;
/** Only with keepGenerations. */
export const GENERATION_COLUMNS = ['generated_ids', 'generated_text'] as const;

export interface AuditOptions extends TextStreamOptions {
  prefixTokens?: number;
  suffixTokens?: number;
  approxThreshold?: number;
  /** also compute the decoded measures (match_fraction, approx_memorized) */
  approximate?: boolean;
  keepGenerations?: boolean;
  /** also the oscillation measures of each decoded continuation against the reference suffix (implies decoding) */
  oscillation?: boolean;
  oscillationNgram?: number;
  oscillationThreshold?: number;
  /** one-pass (default): memorized and lead from one teacher-forced pass; greedy: decode every row in full */
  method?: AuditMethod;
  /** what the summary names as the audited model (e.g. the --model path) */
  model?: string;
  /** how the output is made: into its metadata and the summary */
  provenance?: Provenance;
}

export interface AuditSummary {
  command: 'audit';
  model: string | null;
  output: string;
  rows: number;
  /** rows with at least prefix + suffix tokens: the denominator of the rates */
  audited: number;
  memorized: number;
  memorization_rate: number;
  /** null unless the decoded measures were computed (`decoded`) */
  approx_memorized: number | null;
  approx_memorization_rate: number | null;
  method: AuditMethod;
  /** whether match_fraction and approx_memorized were computed */
  decoded: boolean;
  /** audited rows whose continuation is oscillatory; null unless asked for (`oscillation`) */
  oscillatory: number | null;
  oscillation_ngram: number | null;
  oscillation_threshold: number | null;
  /** rows left unaudited (null measures), by reason */
  skipped: { too_short: number };
  prefix_tokens: number;
  suffix_tokens: number;
  max_tokens: number;
  approx_threshold: number;
  seconds: number;
  /** of this run (a resumed run audits only the rows after `resumed_rows`) */
  prefixes_per_s: number;
  /** rows an interrupted run had written, which this run continued after (0: started afresh) */
  resumed_rows: number;
  /** how the audit was made, as its file's metadata records it (docs/provenance.md) */
  provenance?: Provenance;
}

type AuditCounts = { rows: number; too_short: number; memorized: number; approx_memorized: number; oscillatory?: number };

/** Option errors found before any model is loaded. */
export function checkAuditOptions(o: { maxTokens: number; prefixTokens: number; suffixTokens: number; approxThreshold: number; method?: string }): void {
  if (!(Number.isInteger(o.prefixTokens) && o.prefixTokens >= 1)) {
    throw new UserError(`--prefix-tokens must be a positive integer (got ${o.prefixTokens}): greedy decoding needs a prompt of at least one token`);
  }
  if (!(Number.isInteger(o.suffixTokens) && o.suffixTokens >= 1)) {
    throw new UserError(`--suffix-tokens must be a positive integer (got ${o.suffixTokens})`);
  }
  if (o.method !== undefined && !(AUDIT_METHODS as readonly string[]).includes(o.method)) {
    throw new UserError(`--method ${o.method}: unknown method; use ${AUDIT_METHODS.join(' or ')}`);
  }
  if (o.prefixTokens + o.suffixTokens > o.maxTokens) {
    throw new UserError(
      `--prefix-tokens ${o.prefixTokens} + --suffix-tokens ${o.suffixTokens} = ${o.prefixTokens + o.suffixTokens} exceed --max-tokens ${o.maxTokens}; no row could be audited. Raise --max-tokens or shorten the windows`,
    );
  }
  if (!(o.approxThreshold > 0 && o.approxThreshold <= 1)) {
    throw new UserError(`--approx-threshold must be in (0, 1] (got ${o.approxThreshold})`);
  }
}

/** Where the summary of an audit written to `output` goes. */
export function summaryPath(output: string): string {
  return `${output}.summary.json`;
}

/** Generator calls kept in flight so the model never waits for tokenization or writing. */
const IN_FLIGHT = 2;
const SHORT_ROWS_NAMED = 5;

interface AuditChunk extends PendingChunk {
  batch: Batch;
  ids: TokenIds[];
  audits: (RowAudit | null)[];
}

/**
 * Audit every row of a corpus with `generator`, writing the input columns plus AUDIT_COLUMNS
 * (and GENERATION_COLUMNS with keepGenerations), then `<output>.summary.json`.
 */
export async function auditCorpus(generator: Generator, tokenizer: Tokenizer, options: AuditOptions): Promise<AuditSummary> {
  const textColumn = options.textColumn ?? 'text';
  const idColumn = options.idColumn ?? 'id';
  const { maxTokens, prefixTokens, suffixTokens, batchSize, approxThreshold, method } = withDefaults(AUDIT_DEFAULTS, options);
  checkAuditOptions({ maxTokens, prefixTokens, suffixTokens, approxThreshold, method });
  const window = prefixTokens + suffixTokens;
  // full greedy decoding yields the generations anyway: then every measure comes for free
  const decoded = method === 'greedy' || options.approximate === true || options.keepGenerations === true || options.oscillation === true;
  // the leading special ids (e.g. a BOS) are context: the prompt is them + k text tokens, and --max-tokens
  // and the window count text tokens
  const leading = tokenizer.addedSpecialIds.leading.length;
  const oscillation = options.oscillation
    ? { ngram: options.oscillationNgram ?? DEFAULT_OSCILLATION_NGRAM, threshold: options.oscillationThreshold ?? DEFAULT_OSCILLATION_THRESHOLD, prefixTokens: prefixTokens + leading, suffixTokens }
    : undefined;
  const plan = { method, prefixTokens: prefixTokens + leading, suffixTokens, maxTokens: maxTokens + leading, decoded, approxThreshold };

  let reader = openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat, shard: options.shard });
  const keepTokenizer = options.keepGenerations ? tokenizer : undefined;
  const writer = await openWriter(options.output, { format: options.outputFormat, checkpoint: options.checkpoint });
  // counted as rows are written, so a checkpoint holds the counts of exactly the rows it holds
  const resumed = writer.resumed;
  const written: AuditCounts = (resumed?.stage as AuditCounts | undefined) ?? { rows: 0, too_short: 0, memorized: 0, approx_memorized: 0, oscillatory: 0 };
  const resumedAudited = written.rows - written.too_short;
  if (resumed) reader = openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat, shard: options.shard, skipRows: resumed.rows });
  const metadata = options.provenance && provenanceMetadata(options.provenance);
  const assemble = (chunk: AuditChunk) => {
    written.rows += chunk.batch.numRows;
    for (const a of chunk.audits) {
      if (!a) written.too_short++;
      else {
        if (a.memorized) written.memorized++;
        if (a.approx_memorized) written.approx_memorized++;
      }
    }
    const columns = auditColumns(chunk, decoded, keepTokenizer, oscillation);
    if (columns.oscillatory) for (let i = 0; i < columns.oscillatory.length; i++) if (columns.oscillatory.get(i)) written.oscillatory = (written.oscillatory ?? 0) + 1;
    const audited = withColumns(chunk.batch, columns);
    return metadata ? withSchemaMetadata(audited, metadata) : audited;
  };
  const output = new OrderedOutput<AuditChunk>(writer, assemble, IN_FLIGHT, () => ({ ...written }));
  const progress = new Progress({ label: 'audit', quiet: options.quiet, expected: () => reader.expected() });
  if (resumed) progress.note(`resuming after row ${resumed.rows}: the output of an interrupted run with the same arguments and inputs`);
  let tooShort = 0;
  const stream = { textColumn, idColumn, maxTokens, firstRow: resumed?.rows ?? 0 };
  await streamTokenized(reader, tokenizer, options.tokenizerThreads ?? 1, stream, output, async ({ batch, ids, named, firstRow }) => {
    const n = batch.numRows;
    const chunk: AuditChunk = { batch, ids, audits: new Array(n).fill(null), remaining: 0 };
    const eligible: number[] = [];
    for (let i = 0; i < n; i++) {
      if (ids[i].length - leading >= window) {
        eligible.push(i);
        continue;
      }
      tooShort++;
      if (tooShort <= SHORT_ROWS_NAMED) {
        const who = named ? `id ${String(batch.getChild(idColumn)!.get(i))}` : `row ${firstRow + i}`;
        progress.note(`${who}: ${ids[i].length - leading} tokens < prefix ${prefixTokens} + suffix ${suffixTokens}; not audited (null measures)`);
      }
    }
    output.add(chunk);
    for (let start = 0; start < eligible.length; start += batchSize) {
      const members = eligible.slice(start, start + batchSize);
      await output.run(chunk, async () => {
        const audits = await auditBatch(generator, members.map((r) => ids[r]), plan);
        members.forEach((r, j) => {
          chunk.audits[r] = audits[j];
        });
        progress.add(members.length, members.length * suffixTokens);
      });
    }
  });
  const { memorized, approx_memorized: approx } = written;
  const audited = written.rows - written.too_short;
  const seconds = progress.seconds;
  const summary: AuditSummary = {
    command: 'audit',
    model: options.model ?? null,
    output: options.output,
    rows: written.rows,
    audited,
    memorized,
    memorization_rate: audited === 0 ? 0 : memorized / audited,
    approx_memorized: decoded ? approx : null,
    approx_memorization_rate: decoded ? (audited === 0 ? 0 : approx / audited) : null,
    method,
    decoded,
    oscillatory: oscillation ? (written.oscillatory ?? 0) : null,
    oscillation_ngram: oscillation?.ngram ?? null,
    oscillation_threshold: oscillation?.threshold ?? null,
    skipped: { too_short: written.too_short },
    prefix_tokens: prefixTokens,
    suffix_tokens: suffixTokens,
    max_tokens: maxTokens,
    approx_threshold: approxThreshold,
    seconds: Math.round(seconds * 1000) / 1000,
    prefixes_per_s: Math.round(((audited - resumedAudited) / Math.max(seconds, 1e-9)) * 100) / 100,
    resumed_rows: resumed?.rows ?? 0,
    ...(options.provenance ? { provenance: options.provenance } : {}),
  };
  if (options.output !== '-') await writeFileAtomic(summaryPath(options.output), `${JSON.stringify(withWarningsSaid(summary), null, 1)}\n`);
  progress.end();
  return summary;
}

function auditColumns(
  chunk: AuditChunk,
  decoded: boolean,
  decoder: Pick<Tokenizer, 'decode'> | undefined,
  oscillation?: { ngram: number; threshold: number; prefixTokens: number; suffixTokens: number },
): Record<string, Vector> {
  const { audits } = chunk;
  const columns: Record<string, Vector> = {
    memorized: vectorFromArray(audits.map((a) => (a ? a.memorized : null)), new Bool()),
    lead: vectorFromArray(audits.map((a) => (a ? a.lead : null)), new Int32()),
  };
  if (decoded) {
    columns.match_fraction = vectorFromArray(audits.map((a) => a?.match_fraction ?? null), new Float64());
    columns.approx_memorized = vectorFromArray(audits.map((a) => a?.approx_memorized ?? null), new Bool());
  }
  const generated = audits.map((a) => a?.generated ?? null);
  if (oscillation) {
    const { ngram, threshold, prefixTokens: k, suffixTokens: m } = oscillation;
    const measures = generated.map((g, r) => (g ? measureOscillation(chunk.ids[r].subarray(k, k + m), g, ngram, threshold) : null));
    columns.top_ngram_count = vectorFromArray(measures.map((x) => x?.top_ngram_count ?? null), new Int32());
    columns.reference_top_ngram_count = vectorFromArray(measures.map((x) => x?.reference_top_ngram_count ?? null), new Int32());
    columns.oscillatory = vectorFromArray(measures.map((x) => x?.oscillatory ?? null), new Bool());
    columns.loop_share = vectorFromArray(measures.map((x) => x?.loop_share ?? null), new Float64());
  }
  if (decoder) {
    columns.generated_ids = vectorFromArray(
      generated.map((g) => (g ? Array.from(g) : null)),
      new List(new Field('item', new Int32(), true)),
    );
    columns.generated_text = vectorFromArray(generated.map((g) => (g ? decoder.decode(g) : null)), new Utf8());
  }
  return columns;
}
