// Types the filter files share (and evaluate's schema): one place, so that no two of them import each other.
import type { Vector } from 'apache-arrow';

/** How the threshold was chosen: the option given, or the model's default. */
export type ThresholdMethod = 'threshold' | 'remove_top' | 'target_recall' | 'model_default' | 'rule';

export interface Threshold {
  value: number;
  method: ThresholdMethod;
  requested: number | null;
}

export interface RemovedRow {
  id: string;
  risk: number;
  /** SHA-256 of the row's canonical encoding over `fingerprint.columns` */
  row_sha256: string;
  /** raw model features, by name */
  features: Record<string, number>;
  /**
   * each feature's term of the model's log-odds, coefficient × standardized value: with the model's
   * intercept they sum to logit(risk), so the largest terms say why the row was removed
   */
  log_odds: Record<string, number>;
  /** --rule: the rule's clauses that hold for the row */
  reason?: string[];
  /** only with --include-text */
  text?: string | null;
}

/** Histogram counts of one quantity for kept and removed rows over shared bin edges. */
export interface SplitHistogram {
  edges: number[];
  kept: number[];
  removed: number[];
  /** values below edges[0] / above the last edge, counted in the first / last bin */
  clipped: number;
  /** bins of whole numbers [edge, next edge): every value of the column was an integer */
  integer?: true;
}

export type ScoresBatch = { getChild(name: string): Vector | null; schema: { fields: { name: string }[] }; numRows: number };

export interface RowScorer {
  /** the values read, in order (the report's feature figures): the model's features (log(column) included) or the rule's columns */
  columns: string[];
  /** the scores columns those values come from, each once */
  reads: string[];
  /** those columns of one batch as float64; NaN where the row cannot be scored */
  read(batch: ScoresBatch, ids: string[], source: string): Float64Array[];
  /** one number per row from the columns: risk, or 1/0 for a rule; NaN when a column is NaN */
  predict(columns: Float64Array[]): Float64Array;
  /** what removed-rows.jsonl says about a removed row, from its column values */
  explain(x: ArrayLike<number>): Pick<RemovedRow, 'features' | 'log_odds' | 'reason'>;
}
