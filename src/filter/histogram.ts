// The report's kept-vs-removed histograms, built so that shards can add theirs up: every bin is fixed
// before any row is seen (risk: 50 equal bins on [0, 1]; features: log-spaced bins 1% wide), so the
// sum of the shards' counts is exactly the single-process count, and the display bins are chosen only
// from the summed counts (`displayHistogram`).

import { addDriftCounts, type DriftCounts } from './drift.js';
import type { SplitHistogram } from './types.js';

export function fixedEdges(lo: number, hi: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + ((hi - lo) * k) / bins));
}

export class SplitHistogramBuilder {
  readonly kept: number[];
  readonly removed: number[];
  private clipped = 0;
  private readonly lo: number;
  private readonly width: number;

  constructor(readonly edges: number[]) {
    const bins = edges.length - 1;
    this.kept = new Array<number>(bins).fill(0);
    this.removed = new Array<number>(bins).fill(0);
    this.lo = edges[0];
    this.width = (edges[bins] - edges[0]) / bins;
  }

  add(value: number, removed: boolean): void {
    const bins = this.kept.length;
    let k = Math.floor((value - this.lo) / this.width);
    if (k < 0 || k >= bins) {
      // the top edge itself belongs to the last bin (risk 1.0)
      if (value !== this.edges[bins]) this.clipped++;
      k = k < 0 ? 0 : bins - 1;
    }
    (removed ? this.removed : this.kept)[k]++;
  }

  result(): SplitHistogram {
    return { edges: this.edges, kept: this.kept, removed: this.removed, clipped: this.clipped };
  }
}

/** Histograms over the same edges, added bin by bin (the shards' risk histograms). */
export function addSplitHistograms(a: SplitHistogram, b: SplitHistogram): SplitHistogram {
  if (a.edges.length !== b.edges.length || a.edges.some((e, i) => e !== b.edges[i])) throw new Error('internal error: adding histograms with different edges');
  return { edges: a.edges, kept: a.kept.map((v, i) => v + b.kept[i]), removed: a.removed.map((v, i) => v + b.removed[i]), clipped: a.clipped + b.clipped };
}

/** Relative width of a log bin: values within 1% of each other may share one. */
const GAMMA = 1.01;
const LOG_GAMMA = Math.log(GAMMA);
/** |x| below this falls in bin 0 */
const TINY = 1e-12;
const LOG_TINY = Math.log(TINY);

/** The fixed log bin of `x`: 0 around zero, k > 0 for [TINY·γ^(k−1), TINY·γ^k), −k for the mirror image. */
export function logBin(x: number): number {
  const a = Math.abs(x);
  if (a < TINY) return 0;
  const ratio = a / TINY;
  // above 1.8e296, a / TINY overflows: the same in logs (less exact, so only there)
  const k = 1 + Math.floor((Number.isFinite(ratio) ? Math.log(ratio) : Math.log(a) - LOG_TINY) / LOG_GAMMA);
  return x < 0 ? -k : k;
}

/** Lower edge of log bin `k` (bins are ordered like their values). */
export function logBinLower(k: number): number {
  if (k === 0) return -TINY;
  // GAMMA ** power overflows for the bins of the largest doubles; the top edge is held at MAX_VALUE (JSON has no Infinity)
  const edge = (power: number) => {
    const direct = TINY * GAMMA ** power;
    return Number.isFinite(direct) ? direct : Math.min(Number.MAX_VALUE, Math.exp(LOG_TINY + power * LOG_GAMMA));
  };
  return k > 0 ? edge(k - 1) : -edge(-k);
}

/** Counts per fixed log bin, kept and removed; sparse, so a shard's summary is a few KB. */
export interface FineHistogram {
  bins: number[];
  kept: number[];
  removed: number[];
  /**
   * Exact counts per value while every value is an integer (lead, n_tokens, a 0/1 flag) and there are
   * at most MAX_INTEGER_VALUES of them: drawn on integer bins, where log bins would split and merge integers.
   */
  integers?: { values: number[]; kept: number[]; removed: number[] };
}

/** Distinct integer values counted exactly; a column with more is drawn on log bins. */
export const MAX_INTEGER_VALUES = 4096;

export class FineHistogramBuilder {
  private readonly counts = new Map<number, [number, number]>();
  private integers: Map<number, [number, number]> | null = new Map();

  add(value: number, removed: boolean): void {
    const k = logBin(value);
    let c = this.counts.get(k);
    if (!c) this.counts.set(k, (c = [0, 0]));
    c[removed ? 1 : 0]++;
    if (this.integers && !Number.isNaN(value)) this.addInteger(value, removed ? 0 : 1, removed ? 1 : 0);
  }

  addAll(h: FineHistogram): this {
    for (const [i, k] of h.bins.entries()) {
      let c = this.counts.get(k);
      if (!c) this.counts.set(k, (c = [0, 0]));
      c[0] += h.kept[i];
      c[1] += h.removed[i];
    }
    if (!h.integers) this.integers = null;
    else for (const [i, v] of h.integers.values.entries()) if (this.integers) this.addInteger(v, h.integers.kept[i], h.integers.removed[i]);
    return this;
  }

  private addInteger(value: number, kept: number, removed: number): void {
    if (!Number.isSafeInteger(value)) {
      this.integers = null;
      return;
    }
    let c = this.integers!.get(value);
    if (!c) {
      if (this.integers!.size >= MAX_INTEGER_VALUES) {
        this.integers = null;
        return;
      }
      this.integers!.set(value, (c = [0, 0]));
    }
    c[0] += kept;
    c[1] += removed;
  }

  result(): FineHistogram {
    const bins = [...this.counts.keys()].sort((a, b) => a - b);
    const fine: FineHistogram = { bins, kept: bins.map((k) => this.counts.get(k)![0]), removed: bins.map((k) => this.counts.get(k)![1]) };
    if (this.integers && this.integers.size > 0) {
      const values = [...this.integers.keys()].sort((a, b) => a - b);
      fine.integers = { values, kept: values.map((v) => this.integers!.get(v)![0]), removed: values.map((v) => this.integers!.get(v)![1]) };
    }
    return fine;
  }
}

/**
 * At most `bins` bins of whole numbers [e, e + width), over the values holding the 0.5%–99.5% quantiles,
 * laid so that `cut` (a rule's threshold, when given) falls on an edge: the kept and removed rows of a
 * rule on an integer column never share a bar. Rows outside land in the edge bins and are counted as clipped.
 */
export function integerHistogram(ints: NonNullable<FineHistogram['integers']>, bins: number, cut?: number): SplitHistogram {
  const [lo, hi] = centralRange(ints.values, ints.kept, ints.removed);
  const width = Math.max(1, Math.ceil((hi - lo + 1) / bins));
  // shift the first edge down (at most width − 1) so that an integer cut is an edge
  const start = cut !== undefined && Number.isInteger(cut) ? lo - ((((lo - cut) % width) + width) % width) : lo;
  const count = Math.ceil((hi + 1 - start) / width);
  const edges = Array.from({ length: count + 1 }, (_, g) => start + g * width);
  return { edges, ...groupCounts(ints.values, ints.kept, ints.removed, start, hi, width, count), integer: true };
}

/** The keys (in increasing order) under which the 0.5% and 99.5% quantiles of the counted rows fall. */
function centralRange(keys: number[], kept: number[], removed: number[]): [number, number] {
  const total = kept.reduce((t, v, i) => t + v + removed[i], 0);
  let lo = keys[0];
  let hi = keys[keys.length - 1];
  let seen = 0;
  let loFound = false;
  for (const [i, k] of keys.entries()) {
    seen += kept[i] + removed[i];
    if (!loFound && seen > 0.005 * total) {
      lo = k;
      loFound = true;
    }
    if (seen >= 0.995 * total) {
      hi = k;
      break;
    }
  }
  return [lo, hi];
}

/** Counts summed over `count` groups of `width` consecutive keys from `start`; keys outside [start, hi] land in the edge groups, counted as clipped. */
function groupCounts(keys: number[], kept: number[], removed: number[], start: number, hi: number, width: number, count: number): Pick<SplitHistogram, 'kept' | 'removed' | 'clipped'> {
  const out = { kept: new Array<number>(count).fill(0), removed: new Array<number>(count).fill(0), clipped: 0 };
  for (const [i, k] of keys.entries()) {
    if (k < start || k > hi) out.clipped += kept[i] + removed[i];
    const g = Math.min(count - 1, Math.max(0, Math.floor((k - start) / width)));
    out.kept[g] += kept[i];
    out.removed[g] += removed[i];
  }
  return out;
}

/**
 * At most `bins` display bins, each a run of consecutive log bins, over the log bins holding the
 * 0.5%–99.5% quantiles of all rows: heavy tails (perplexities) would otherwise squeeze the bulk of the
 * rows into one bin. Rows outside land in the edge bins and are counted as clipped.
 */
export function displayHistogram(fine: FineHistogram, bins: number): SplitHistogram {
  const total = fine.kept.reduce((t, v, i) => t + v + fine.removed[i], 0);
  if (total === 0) return { edges: fixedEdges(0, 1, 1), kept: [0], removed: [0], clipped: 0 };
  const [lo, hi] = centralRange(fine.bins, fine.kept, fine.removed);
  const group = Math.ceil((hi - lo + 1) / bins);
  const count = Math.ceil((hi - lo + 1) / group);
  const edges = Array.from({ length: count + 1 }, (_, g) => logBinLower(Math.min(lo + g * group, hi + 1)));
  return { edges, ...groupCounts(fine.bins, fine.kept, fine.removed, lo, hi, group, count) };
}

/** What a filter run (or shard) counted for the report: exact, and added across shards. */
export interface FilterProfile {
  risk: SplitHistogram;
  features: Record<string, FineHistogram>;
  /** rows outside the model's training range, by feature (absent with --rule) */
  drift?: DriftCounts;
}

export const RISK_BINS = 50;
export const FEATURE_DISPLAY_BINS = 40;

export function addProfiles(a: FilterProfile, b: FilterProfile): FilterProfile {
  const features = Object.fromEntries(Object.keys(a.features).map((name) => [name, new FineHistogramBuilder().addAll(a.features[name]).addAll(b.features[name]).result()]));
  const drift = a.drift && b.drift ? { drift: addDriftCounts(a.drift, b.drift) } : {};
  return { risk: addSplitHistograms(a.risk, b.risk), features, ...drift };
}

/** The manifest's distributions, from the (summed) profile alone; `cuts`: a rule's threshold per column, put on a bin edge. */
export function profileDistributions(profile: FilterProfile, cuts: Record<string, number> = {}): { risk: SplitHistogram; features: Record<string, SplitHistogram> } {
  const features = Object.fromEntries(
    Object.entries(profile.features).map(([name, fine]) => [name, fine.integers ? integerHistogram(fine.integers, FEATURE_DISPLAY_BINS, cuts[name]) : displayHistogram(fine, FEATURE_DISPLAY_BINS)]),
  );
  return { risk: profile.risk, features };
}
