// Streaming kept-vs-removed histograms for the report: bins fixed up front, counts added row by row.
import type { SplitHistogram } from './manifest.js';

/**
 * `bins` equal-width bins over the 0.5%–99.5% quantiles of a sample: heavy tails (perplexities)
 * would otherwise squeeze the bulk of the rows into one bin. Outliers land in the edge bins.
 */
export function robustEdges(sample: Float64Array, bins: number): number[] {
  const sorted = Float64Array.from(sample).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
  let lo = q(0.005);
  let hi = q(0.995);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  return fixedEdges(lo, hi, bins);
}

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
      // the top edge itself belongs to the last bin (risk 1.0, the 99.5% quantile)
      if (value !== this.edges[bins]) this.clipped++;
      k = k < 0 ? 0 : bins - 1;
    }
    (removed ? this.removed : this.kept)[k]++;
  }

  result(): SplitHistogram {
    return { edges: this.edges, kept: this.kept, removed: this.removed, clipped: this.clipped };
  }
}
