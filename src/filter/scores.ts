// The risk of every scored row, by id: the one per-row structure filter keeps in memory (an IdIndex
// of 29–57 bytes a row, 8 bytes of risk, 5 bytes of bookkeeping: ~60 bytes a row, ~6 GB per 100M rows,
// whatever the ids' length). Everything else streams.
import type { Vector } from 'apache-arrow';
import { listFew, UserError } from '../errors.js';
import { openReader } from '../io/index.js';
import { ID_HINT } from '../io/add-ids.js';
import { missingColumnError } from '../io/missing-column.js';
import type { RiskModel } from '../risk/index.js';

import { nonPositiveError, parseFeature, transformFeatureValue } from '../risk/index.js';
import { IdIndex } from '../id-index.js';
import { outsideDomain, SUFFIX_COLUMNS, type ScoreColumn } from '../score/columns.js';
import type { RowScorer } from './types.js';

/** The scores column that tells a row too short to score (null features, by design) from a damaged one. */
export const N_TOKENS_COLUMN = 'n_tokens';

export interface RiskIndex {
  /** id → row number in the scores file */
  rowOf: IdIndex;
  /** risk by row number; NaN for a row too short to score (kept, risk null) */
  risk: Float64Array;
  rows: number;
  /** rows too short to score: `score` left a model feature null (fewer than 2 tokens, or shorter than the suffix window) */
  unscored: number;
}

/** The id of row `i` as a string key; null ids are an error naming the file and row. */
export function idAt(ids: Vector, i: number, source: string, row: number, idColumn: string): string {
  const value = ids.get(i);
  if (value === null || value === undefined) throw new UserError(`${source}: row ${row} has a null "${idColumn}"; every row needs an id`);
  return String(value);
}

/** The column `name` of a batch, or a UserError listing the columns of the file (`source` is `--scores FILE…`). */
export function requireColumn(batch: { getChild(name: string): Vector | null; schema: { fields: { name: string }[] } }, name: string, source: string, hint: string): Vector {
  const column = batch.getChild(name);
  if (!column) throw missingColumnError({ subject: source, name, file: filesOf(source), seen: batch.schema.fields.map((f) => f.name), hint });
  return column;
}

/** The files of a `--option FILE…` message subject. */
export function filesOf(source: string): string[] {
  return source.split(' ').slice(1);
}

/**
 * The model's features of one batch as float64, transforms (log) applied. A null where `score` defines the value as
 * undefined becomes NaN, and the row cannot be scored: any feature of a row of fewer than 2 tokens, a
 * suffix-window feature of a row shorter than the window (docs/features.md). Telling those rows needs
 * the scores' n_tokens column. Any other missing, NaN or infinite value, or a non-positive one under
 * log, is an error naming the id.
 */
export function featureColumns(batch: Parameters<typeof requireColumn>[0] & { numRows: number }, model: RiskModel, ids: string[], source: string): Float64Array[] {
  const nTokens = batch.getChild(N_TOKENS_COLUMN);
  return model.features.map((name) => {
    const spec = parseFeature(name);
    const column = requireColumn(batch, spec.column, source, `the model needs ${listFew(model.features)}; score with 'memsieve score' or pass the matching --model`);
    const suffixWindow = SUFFIX_COLUMNS.includes(spec.column as ScoreColumn);
    const values = new Float64Array(batch.numRows);
    for (let i = 0; i < batch.numRows; i++) {
      const v = column.get(i);
      const x = typeof v === 'bigint' ? Number(v) : (v as number | null);
      if ((x === null || x === undefined) && nTokens && (Number(nTokens.get(i)) < 2 || suffixWindow)) {
        values[i] = NaN;
        continue;
      }
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        const what = x === null || x === undefined ? 'missing' : typeof x !== 'number' ? `not a number (${typeof x})` : Number.isNaN(x) ? 'NaN' : String(x);
        throw new UserError(`${source}: id ${ids[i]}: feature "${name}" is ${what}; re-score that row or drop it from the corpus and the scores`);
      }
      values[i] = transformFeatureValue(spec, x);
      if (Number.isNaN(values[i])) throw nonPositiveError(`${source}: id ${ids[i]}`, spec, x);
      const outside = outsideDomain(spec.column, x);
      if (outside) throw new UserError(`${source}: id ${ids[i]}: ${spec.column} = ${x} ${outside}; re-score that row or drop it from the corpus and the scores`);
    }
    return values;
  });
}

/** First pass over the scores (one file, or a shard's score parts): the risk (or rule value) of every row, duplicate ids rejected. */
export async function readRiskIndex(scores: string | string[], scorer: RowScorer, idColumn: string): Promise<RiskIndex> {
  const rowOf = new IdIndex();
  let risk = new Float64Array(1 << 16);
  let rows = 0;
  let unscored = 0;
  const source = `--scores ${[scores].flat().join(' ')}`;
  for await (const batch of openReader(scores, { option: '--scores', columns: scoresColumns(idColumn, scorer) })) {
    if (batch.numRows === 0) continue; // an empty shard's part may hold no columns
    const idVector = requireColumn(batch, idColumn, source, ID_HINT);
    const ids = new Array<string>(batch.numRows);
    for (let i = 0; i < batch.numRows; i++) ids[i] = idAt(idVector, i, source, rows + i, idColumn);
    const features = scorer.read(batch, ids, source);
    const batchRisk = scorer.predict(features);
    for (let i = 0; i < batch.numRows; i++) {
      // NaN stands for "too short to score"; on a row whose values are all there it would pass for one
      if (Number.isNaN(batchRisk[i]) && features.every((column) => !Number.isNaN(column[i]))) {
        throw new UserError(
          `${source}: id ${ids[i]}: every value the model reads is there, yet its risk is not a number (the log-odds overflow: the model's coefficients or scaler are extreme); re-train the model with 'memsieve train'`,
        );
      }
    }
    if (rows + batch.numRows > risk.length) {
      const grown = new Float64Array(Math.max(risk.length * 2, rows + batch.numRows));
      grown.set(risk.subarray(0, rows));
      risk = grown;
    }
    for (let i = 0; i < batch.numRows; i++) {
      const row = rows + i;
      const previous = rowOf.add(ids[i], row);
      if (previous >= 0) throw new UserError(`${source}: id ${ids[i]} appears twice (rows ${previous} and ${row}); ids must be unique`);
      risk[row] = batchRisk[i];
      if (Number.isNaN(batchRisk[i])) unscored++;
    }
    rows += batch.numRows;
  }
  if (rows === 0 && !Array.isArray(scores)) throw new UserError(`${source} has no rows`);
  return { rowOf, risk: risk.subarray(0, rows), rows, unscored };
}

/** The scores columns filter reads: the id, the model's features' columns (or the rule's columns), and n_tokens where the file has it. */
export function scoresColumns(idColumn: string, scorer: Pick<RowScorer, 'reads'>): string[] {
  return [...new Set([idColumn, ...scorer.reads.filter((c) => c !== N_TOKENS_COLUMN), N_TOKENS_COLUMN])];
}
