// manifest.json: what `filter` did, with enough hashes and fingerprints for `verify` to prove it.
// Documented field by field in docs/filter.md.
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import type { MeanStd } from '../risk/index.js';
import type { Evaluation } from '../evaluate/schema.js';
import { describeTransfer, type ScoringCheck } from '../stage/provenance.js';
import type { Drift } from './drift.js';
import type { SplitHistogram, ThresholdMethod } from './types.js';
import type { RowsFingerprint } from './scores-identity.js';

/** Schema metadata on filter's outputs: `clean` (D_clean) or `removed`. JSONL outputs cannot carry it. */
export const FILTER_OUTPUT_KEY = 'memsieve.filter.output';

export const MANIFEST_SCHEMA = 'memsieve.manifest/v2';

export interface FileEntry {
  /** relative to the report folder (absolute when on another file system root) */
  path: string;
  sha256: string;
}

export interface DatasetEntry {
  files: FileEntry[];
  rows: number;
  /** multiset fingerprint of the rows over `fingerprint.columns` (see fingerprint.ts) */
  fingerprint: string;
}

/** Where a risk model was trained (its risk.json provenance), against the corpus filtered. */
export interface TrainedOn {
  /** with the fingerprint of the training rows, when risk.json records one */
  scores: FileEntry & { rows_fingerprint?: RowsFingerprint };
  labels: FileEntry;
  /** the model was trained on these scores: the same file (sha256), or the same rows in another layout (rows_fingerprint); labels from this corpus's own student */
  this_corpus: boolean;
}

export interface Manifest {
  schema: typeof MANIFEST_SCHEMA;
  tool: 'memsieve';
  tool_version: string;
  /** ISO 8601 time the filter finished */
  created: string;
  /** the arguments memsieve was run with (after the program name) */
  command_line: string[];
  /** the risk model (absent with --rule) */
  model?: FileEntry & { schema: string; features: string[]; roc_auc: MeanStd; roc: { fpr: number[]; tpr: number[] }; trained_on?: TrainedOn };
  /** --rule instead of a model: rows where the rule holds are removed (their `risk` column is 1, others 0) */
  rule?: { text: string; canonical: string; columns: string[] };
  /** --evaluation: `memsieve evaluate`'s file for this model, and its figures */
  evaluation?: FileEntry & { of_these_scores: boolean; result: Evaluation };
  threshold: {
    /** rows with risk >= value are removed */
    value: number;
    method: ThresholdMethod;
    /** the option's argument: the threshold, the fraction to remove (0.05 for 5%), or the target recall */
    requested: number | null;
    /** the model's validation ROC point at this threshold (recall = tpr), absent if the ROC is empty */
    validation?: { fpr: number; tpr: number };
  };
  id_column: string;
  /** set when --include-text put removed rows' text in this file */
  text_column: string | null;
  fingerprint: { algorithm: string; row_encoding: string; columns: string[] };
  input: DatasetEntry;
  scores: { files: FileEntry[]; rows: number };
  clean: DatasetEntry;
  removed: DatasetEntry;
  report: FileEntry;
  /** unscored: kept rows too short for the model's features (score left them null; risk null in D_clean) */
  summary: { rows_in: number; kept: number; removed: number; removed_fraction: number; unscored?: number };
  /** risk of every row, kept vs removed, and each feature likewise (the report's figures) */
  distributions: { risk: SplitHistogram; features: Record<string, SplitHistogram> };
  /** every removed row (RemovedRow, one JSON object a line), in the removed file's order */
  removed_rows: FileEntry & { rows: number };
  /**
   * how the scores were made against how the model's training scores were (docs/provenance.md): a
   * transfer names both sides' models. Absent in manifests written before it was added.
   */
  scoring?: ScoringCheck;
  /** per model feature, the share of scored rows outside the model's training range (absent with --rule or an older model) */
  drift?: Drift | null;
  /** the largest share of rows filter would remove (--max-removed) */
  max_removed?: number;
  /** what filter warned about, one line each */
  warnings?: string[];
}

/** The result lines on scoring and drift: the transfer with both sides' models, each feature's share outside its training range. */
export function describeScoring(manifest: Pick<Manifest, 'scoring' | 'drift'>): string {
  const lines: string[] = [];
  const transfer = manifest.scoring && describeTransfer(manifest.scoring);
  if (transfer) lines.push(transfer);
  if (manifest.drift) {
    const shares = Object.entries(manifest.drift.features).map(([name, f]) => `${name} ${(100 * f.share).toFixed(1)}%`);
    lines.push(`outside the model's training range: ${shares.join(', ')}`);
  }
  return lines.map((line) => `${line}\n`).join('');
}

/** The manifest's summary of a split. */
export function splitSummary(rowsIn: number, kept: number, removed: number, unscored: number): Manifest['summary'] {
  return { rows_in: rowsIn, kept, removed, removed_fraction: rowsIn === 0 ? 0 : removed / rowsIn, unscored };
}

/** Reads and checks report-dir/manifest.json. */
export async function loadManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read manifest ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; pass the --report folder written by 'memsieve filter'`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path}: not a JSON file (${(error as Error).message}); the report folder was edited or is incomplete`);
  }
  const m = raw as Partial<Manifest> | null;
  if (typeof m !== 'object' || m === null) throw new UserError(`${path}: not a manifest object`);
  if (m.schema !== MANIFEST_SCHEMA) {
    throw new UserError(`${path}: manifest schema is ${JSON.stringify(m.schema ?? null)}, this memsieve reads "${MANIFEST_SCHEMA}"`);
  }
  const datasetOk = (d: DatasetEntry | undefined) => !!d && Array.isArray(d.files) && typeof d.rows === 'number' && typeof d.fingerprint === 'string';
  if (!datasetOk(m.input) || !datasetOk(m.clean) || !datasetOk(m.removed) || typeof m.removed_rows?.path !== 'string' || !m.fingerprint || !m.threshold || !(m.model || m.rule) || !m.report) {
    throw new UserError(`${path}: manifest is missing fields (input, clean, removed, removed_rows, fingerprint, threshold, model or rule, report); the report folder was edited`);
  }
  return m as Manifest;
}
