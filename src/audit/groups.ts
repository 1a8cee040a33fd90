// Subgroups of rows by one column (compare --by, verdict --by): categorical values, quantile bins or
// given bin edges. Pure: callers read the column and pass its values. Definitions: docs/audit.md.
import { UserError } from '../errors.js';

export type Binning = { kind: 'auto' } | { kind: 'categorical' } | { kind: 'quantile'; bins: number } | { kind: 'edges'; edges: number[] };

/** How the groups were made, as the report records it. */
export interface GroupBinning {
  kind: 'categorical' | 'quantile' | 'edges';
  /** bin edges (quantile, edges): group i holds edges[i] ≤ v < edges[i+1], the last also v = its upper edge */
  edges?: number[];
  /** auto: why this kind was chosen */
  chosen_by?: string;
}

/** A numeric column with at most this many distinct values is categorical under `auto` (copies: 1, 2, 4, 8, 16). */
export const AUTO_CATEGORICAL_MAX = 12;
export const AUTO_QUANTILE_BINS = 4;

/** `--bins`: auto, categorical, quantile:N, or comma-separated rising edges (e.g. 0,1.5,3,10). */
export function parseBinning(spec: string, flag = '--bins'): Binning {
  if (spec === 'auto' || spec === 'categorical') return { kind: spec };
  const quantile = /^quantile:(\d+)$/.exec(spec);
  if (quantile) {
    const bins = Number(quantile[1]);
    if (bins < 2) throw new UserError(`${flag} ${spec}: quantile bins must be at least 2`);
    return { kind: 'quantile', bins };
  }
  const edges = spec.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (edges.length < 2 || edges.some((e) => !Number.isFinite(e)) || edges.some((e, i) => i > 0 && e <= edges[i - 1])) {
    throw new UserError(`${flag} ${spec}: expected auto, categorical, quantile:N, or at least two rising numbers separated by commas (e.g. 1,2,4,8,16,17)`);
  }
  return { kind: 'edges', edges };
}

/** One row's value of the grouping column: a number, a string (categorical), or null (no value). */
export type GroupValue = number | string | null;

export interface Grouping {
  binning: GroupBinning;
  /** group labels in order: categories sorted (numerically when numeric), bins rising */
  labels: string[];
  /** per input value: its group, or −1 (null value, or outside the given edges) */
  groupOf: Int32Array;
  rows_without_value: number;
  rows_outside_bins: number;
}

/** The group label of a categorical numeric value: plain decimal, as in the file. */
const show = (v: number) => String(v);

function binLabel(edges: number[], i: number): string {
  return `[${show(edges[i])}, ${show(edges[i + 1])}${i === edges.length - 2 ? ']' : ')'}`;
}

/** Edges at the N-quantiles of the values (lower nearest rank), duplicates merged. */
export function quantileEdges(values: number[], bins: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) {
    const e = sorted[Math.floor((i * (sorted.length - 1)) / bins)];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  if (edges.length === 1) edges.push(edges[0]); // one distinct value: one closed bin [v, v]
  return edges;
}

function binOf(edges: number[], v: number): number {
  if (v < edges[0] || v > edges[edges.length - 1]) return -1;
  for (let i = 0; i < edges.length - 1; i++) if (v < edges[i + 1]) return i;
  return edges.length - 2;
}

/** Assigns every value to a group. Strings (or booleans read as strings) are always categorical. */
/** A --by column that gives none of the compared rows a value groups nothing: said, not reported as one empty table. */
export function requireGroupValues(values: readonly GroupValue[], compared: number, column: string, source: string): void {
  if (compared === 0 || values.some((v) => v !== null)) return;
  throw new UserError(`--by ${column}: none of the ${compared} compared rows has a value in ${source} (no id in common with the audits, or only nulls); group by a file of the audited rows, e.g. the corpus, with --by-file`);
}

export function groupValues(values: GroupValue[], binning: Binning, column: string): Grouping {
  const numeric = values.every((v) => v === null || typeof v === 'number');
  let kind = binning.kind;
  let chosenBy: string | undefined;
  if (kind === 'auto') {
    const distinct = new Set(values.filter((v) => v !== null)).size;
    kind = !numeric || distinct <= AUTO_CATEGORICAL_MAX ? 'categorical' : 'quantile';
    chosenBy = !numeric ? 'not numeric' : distinct <= AUTO_CATEGORICAL_MAX ? `${distinct} distinct values (≤ ${AUTO_CATEGORICAL_MAX})` : `${distinct} distinct values: ${AUTO_QUANTILE_BINS} quantile bins`;
  }
  if (kind !== 'categorical' && !numeric) throw new UserError(`--by ${column}: the column is not numeric, so it cannot be binned; use --bins categorical (or auto)`);
  const groupOf = new Int32Array(values.length).fill(-1);
  const withoutValue = values.filter((v) => v === null).length;
  if (kind === 'categorical') {
    const keys = [...new Set(values.filter((v): v is number | string => v !== null))];
    keys.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
    const index = new Map(keys.map((k, i) => [k, i]));
    values.forEach((v, r) => (groupOf[r] = v === null ? -1 : index.get(v)!));
    return { binning: { kind, ...(chosenBy ? { chosen_by: chosenBy } : {}) }, labels: keys.map((k) => (typeof k === 'number' ? show(k) : k)), groupOf, rows_without_value: withoutValue, rows_outside_bins: 0 };
  }
  const present = values.filter((v): v is number => v !== null);
  const edges = binning.kind === 'edges' ? binning.edges : quantileEdges(present, binning.kind === 'quantile' ? binning.bins : AUTO_QUANTILE_BINS);
  let outside = 0;
  values.forEach((v, r) => {
    if (v === null) return;
    groupOf[r] = binOf(edges, v as number);
    if (groupOf[r] < 0) outside++;
  });
  const labels = edges.slice(0, -1).map((_, i) => binLabel(edges, i));
  return { binning: { kind, edges, ...(chosenBy ? { chosen_by: chosenBy } : {}) }, labels, groupOf, rows_without_value: withoutValue, rows_outside_bins: outside };
}

/** A cell of the grouping column as a GroupValue; `where` names the row in errors. */
export function toGroupValue(value: unknown, where: () => string): GroupValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isNaN(value) ? null : value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  throw new UserError(`${where()}: the --by column holds ${typeof value === 'object' ? 'a list or struct' : typeof value}; group by a number, string or boolean column`);
}
