// Whether scores are the rows a risk model was trained on, whatever their layout: a file and a folder of
// its parts, a merged file and its shards, Parquet and JSONL hold the same rows in different bytes. Train
// records the rows' fingerprint (filter/fingerprint.ts: a sum of row digests, so row order and files do
// not count) over the id and feature columns; a byte-equal file needs no second look.
import { openReader, type Batch } from '../io/index.js';
import { featureSourceColumns } from '../risk/feature.js';
import { MissingColumnError, MultisetHash, RowHasher } from './fingerprint.js';

/** The rows of a scores input as the model sees them: its id column, then each feature's source column. */
export interface RowsFingerprint {
  columns: string[];
  /** memsieve-row/v1 rows, sum-sha256-mod-2^256 */
  value: string;
}

export function fingerprintColumns(idColumn: string, features: string[]): string[] {
  return [idColumn, ...featureSourceColumns(features).filter((c) => c !== idColumn)];
}

/** The fingerprint of `columns` of every row of `paths` (files or folders; `option` names them in errors). */
export async function rowsFingerprint(paths: string | string[], columns: string[], option: string): Promise<RowsFingerprint> {
  const fingerprinter = rowsFingerprinter(columns, `${option} ${paths}`);
  for await (const batch of openReader(paths, { option, columns })) fingerprinter.add(batch);
  return fingerprinter.result();
}

/** The same fingerprint, fed batch by batch by a reader that reads `columns` anyway (train's and evaluate's). */
export function rowsFingerprinter(columns: string[], where: string): { add(batch: Batch): void; result(): RowsFingerprint } {
  const hasher = new RowHasher(columns);
  const sum = new MultisetHash();
  return {
    add: (batch) => {
      for (const digest of hasher.digests(batch, where)) sum.add(digest);
    },
    result: () => ({ columns, value: sum.hex() }),
  };
}

/** Fingerprints by the scores' sha256 and columns: a command that asks twice (the model's and the evaluation's
 * training rows) reads the scores once. Keyed by content, so a changed file is never answered from here. */
const fingerprintsByContent = new Map<string, Promise<RowsFingerprint>>();

function fingerprintOnce(paths: string | string[], columns: string[], option: string, sha256: string | undefined): Promise<RowsFingerprint> {
  if (sha256 === undefined || sha256 === '') return rowsFingerprint(paths, columns, option);
  const key = `${sha256}\0${JSON.stringify(columns)}`;
  let fingerprint = fingerprintsByContent.get(key);
  if (!fingerprint) {
    fingerprint = rowsFingerprint(paths, columns, option);
    fingerprintsByContent.set(key, fingerprint);
    fingerprint.catch(() => fingerprintsByContent.delete(key));
  }
  return fingerprint;
}

/**
 * Whether the scores at `paths` (hashed `sha256`, when known) are the ones a model was trained on: the same
 * bytes, or the same rows by the fingerprint train recorded (under this command's id column). `known`: the
 * scores' fingerprint when the caller has it already.
 */
export async function sameScoresRows(
  trained: { sha256: string; rows_fingerprint?: RowsFingerprint },
  paths: string | string[],
  sha256: string | undefined,
  idColumn: string,
  option: string,
  known?: RowsFingerprint,
): Promise<boolean> {
  if (sha256 !== undefined && sha256 !== '' && trained.sha256 === sha256) return true;
  if (!trained.rows_fingerprint) return false;
  const [, ...features] = trained.rows_fingerprint.columns;
  const columns = [idColumn, ...features];
  if (known && JSON.stringify(known.columns) === JSON.stringify(columns)) return known.value === trained.rows_fingerprint.value;
  try {
    return (await fingerprintOnce(paths, columns, option, sha256)).value === trained.rows_fingerprint.value;
  } catch (error) {
    // scores without one of the model's columns are not its training rows
    if (error instanceof MissingColumnError) return false;
    throw error;
  }
}
