// Drift: per model feature, the share of scored rows outside the range the risk model was fitted on
// (risk.json's feature_ranges, 0.1%–99.9% quantiles). A model applied far outside that range
// extrapolates; filter records the shares in the manifest and report and warns above DRIFT_WARN_SHARE.
import { openReader } from '../io/index.js';
import { ID_HINT } from '../io/add-ids.js';
import { outsideRange, type FeatureRange, type RiskModel } from '../risk/index.js';
import { modelScorer } from './scorer.js';
import { idAt, requireColumn, scoresColumns } from './scores.js';

/** More than this share of rows outside a feature's training range is warned about. */
export const DRIFT_WARN_SHARE = 0.05;

/** Counts that add up across shards. */
export interface DriftCounts {
  /** scored rows counted */
  rows: number;
  /** by feature: of those rows, how many lie outside its training range */
  outside: Record<string, number>;
}

export interface FeatureDrift {
  /** the training range drift is measured against (risk.json's 0.1% and 99.9% quantiles) */
  low: number;
  high: number;
  outside: number;
  rows: number;
  share: number;
}

/** The manifest's drift record. */
export interface Drift {
  warn_share: number;
  features: Record<string, FeatureDrift>;
  /** features with more than warn_share of rows outside */
  warned: string[];
}

export class DriftCounter {
  private rows = 0;
  private readonly outside: number[];
  private readonly ranges: (FeatureRange | undefined)[];

  constructor(private readonly model: RiskModel) {
    this.ranges = model.features.map((name) => model.feature_ranges?.[name]);
    this.outside = model.features.map(() => 0);
  }

  /** row i of one batch's feature columns (a scored row: no feature NaN) */
  add(features: Float64Array[], i: number): void {
    this.rows++;
    for (let j = 0; j < features.length; j++) {
      const range = this.ranges[j];
      if (range && outsideRange(range, features[j][i])) this.outside[j]++;
    }
  }

  result(): DriftCounts {
    return { rows: this.rows, outside: Object.fromEntries(this.model.features.map((name, j) => [name, this.outside[j]])) };
  }
}

export function addDriftCounts(a: DriftCounts, b: DriftCounts): DriftCounts {
  return { rows: a.rows + b.rows, outside: Object.fromEntries(Object.keys(a.outside).map((name) => [name, a.outside[name] + (b.outside[name] ?? 0)])) };
}

/** The ranges drift is measured against, by feature; null when the model records none (trained by an older memsieve). */
export function driftRanges(model: Pick<RiskModel, 'features' | 'feature_ranges'>): Record<string, { low: number; high: number }> | null {
  const ranges = model.feature_ranges;
  if (!ranges) return null;
  return Object.fromEntries(model.features.filter((name) => ranges[name]).map((name) => [name, { low: ranges[name].quantile_001, high: ranges[name].quantile_999 }]));
}

/** The drift record from counts and ranges (null ranges: no record). */
export function driftOf(counts: DriftCounts, ranges: Record<string, { low: number; high: number }> | null): Drift | null {
  if (!ranges) return null;
  const features: Record<string, FeatureDrift> = {};
  for (const [name, { low, high }] of Object.entries(ranges)) {
    const outside = counts.outside[name] ?? 0;
    features[name] = { low, high, outside, rows: counts.rows, share: counts.rows === 0 ? 0 : outside / counts.rows };
  }
  const warned = Object.entries(features).filter(([, f]) => f.share > DRIFT_WARN_SHARE).map(([name]) => name);
  return { warn_share: DRIFT_WARN_SHARE, features, warned };
}

/** The features with more than warn_share of rows outside their training range, as one phrase, or null. */
export function describeDrift(drift: Drift | null): string | null {
  if (!drift || drift.warned.length === 0) return null;
  const named = drift.warned.map((name) => {
    const f = drift.features[name];
    return `${name} ${(100 * f.share).toFixed(1)}% (training range ${f.low.toPrecision(4)}..${f.high.toPrecision(4)})`;
  });
  return `rows outside the range the risk model was fitted on: ${named.join(', ')}`;
}

/** The warning filter prints for drift above warn_share. */
export function driftWarning(drift: Drift | null): string | null {
  const phrase = describeDrift(drift);
  return phrase && `${phrase}; above ${100 * drift!.warn_share}% the model extrapolates: check these are scores of the same kind of text, made with the models it was trained on`;
}

/** Drift counts of a scores file read on its own (verify re-derives the manifest's figures). */
export async function measureDrift(scores: string[], model: RiskModel, idColumn: string): Promise<DriftCounts> {
  const scorer = modelScorer(model);
  const counter = new DriftCounter(model);
  const source = `--scores ${scores.join(' ')}`;
  let row = 0;
  for await (const batch of openReader(scores, { columns: scoresColumns(idColumn, scorer) })) {
    if (batch.numRows === 0) continue;
    const idVector = requireColumn(batch, idColumn, source, ID_HINT);
    const ids = Array.from({ length: batch.numRows }, (_, i) => idAt(idVector, i, source, row + i, idColumn));
    const features = scorer.read(batch, ids, source);
    for (let i = 0; i < batch.numRows; i++) if (features.every((f) => !Number.isNaN(f[i]))) counter.add(features, i);
    row += batch.numRows;
  }
  return counter.result();
}
