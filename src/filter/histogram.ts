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

/** The fixed log bin of `x`: 0 around zero, k > 0 for [TINY·γ^(k−1), TINY·γ^k), −k for the mirror image. */
export function logBin(x: number): number {
  const a = Math.abs(x);
  if (a < TINY) return 0;
  const k = 1 + Math.floor(Math.log(a / TINY) / LOG_GAMMA);
  return x < 0 ? -k : k;
}

/** Lower edge of log bin `k` (bins are ordered like their values). */
export function logBinLower(k: number): number {
  if (k === 0) return -TINY;
  return k > 0 ? TINY * GAMMA ** (k - 1) : -TINY * GAMMA ** -k;
}

/** Counts per fixed log bin, kept and removed; sparse, so a shard's summary is a few KB. */
export interface FineHistogram {
  bins: number[];
  kept: number[];
  removed: number[];
}

export class FineHistogramBuilder {
  private readonly counts = new Map<number, [number, number]>();

  add(value: number, removed: boolean): void {
    const k = logBin(value);
    let c = this.counts.get(k);
    if (!c) this.counts.set(k, (c = [0, 0]));
    c[removed ? 1 : 0]++;
  }

  addAll(h: FineHistogram): this {
    for (const [i, k] of h.bins.entries()) {
      let c = this.counts.get(k);
      if (!c) this.counts.set(k, (c = [0, 0]));
      c[0] += h.kept[i];
      c[1] += h.removed[i];
    }
    return this;
  }

  result(): FineHistogram {
    const bins = [...this.counts.keys()].sort((a, b) => a - b);
    return { bins, kept: bins.map((k) => this.counts.get(k)![0]), removed: bins.map((k) => this.counts.get(k)![1]) };
  }
}

/**
 * At most `bins` display bins, each a run of consecutive log bins, over the log bins holding the
 * 0.5%–99.5% quantiles of all rows: heavy tails (perplexities) would otherwise squeeze the bulk of the
 * rows into one bin. Rows outside land in the edge bins and are counted as clipped.
 */
export function displayHistogram(fine: FineHistogram, bins: number): SplitHistogram {
  const total = fine.kept.reduce((t, v, i) => t + v + fine.removed[i], 0);
  if (total === 0) return { edges: fixedEdges(0, 1, 1), kept: [0], removed: [0], clipped: 0 };
  let lo = fine.bins[0];
  let hi = fine.bins[fine.bins.length - 1];
  let seen = 0;
  let loFound = false;
  for (const [i, k] of fine.bins.entries()) {
    seen += fine.kept[i] + fine.removed[i];
    if (!loFound && seen > 0.005 * total) {
      lo = k;
      loFound = true;
    }
    if (seen >= 0.995 * total) {
      hi = k;
      break;
    }
  }
  const group = Math.ceil((hi - lo + 1) / bins);
  const count = Math.ceil((hi - lo + 1) / group);
  const edges = Array.from({ length: count + 1 }, (_, g) => logBinLower(Math.min(lo + g * group, hi + 1)));
  const kept = new Array<number>(count).fill(0);
  const removed = new Array<number>(count).fill(0);
  let clipped = 0;
  for (const [i, k] of fine.bins.entries()) {
    if (k < lo || k > hi) clipped += fine.kept[i] + fine.removed[i];
    const g = Math.min(count - 1, Math.max(0, Math.floor((k - lo) / group)));
    kept[g] += fine.kept[i];
    removed[g] += fine.removed[i];
  }
  return { edges, kept, removed, clipped };
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

/** The manifest's distributions, from the (summed) profile alone. */
export function profileDistributions(profile: FilterProfile): { risk: SplitHistogram; features: Record<string, SplitHistogram> } {
  const features = Object.fromEntries(Object.entries(profile.features).map(([name, fine]) => [name, displayHistogram(fine, FEATURE_DISPLAY_BINS)]));
  return { risk: profile.risk, features };
}
