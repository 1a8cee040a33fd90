// What `memsieve merge` hands a stage after joining its row parts: the stage joins what is not rows
// (audit's summary, filter's report). Its own file so that stages and the merge never import each other.
import type { ShardMarker } from './shard.js';

export interface MergeResult {
  kind: string;
  count: number;
  /** output key → final path and rows */
  outputs: Record<string, { path: string; rows: number }>;
  /** counters summed over shards */
  stats: Record<string, number>;
}

/** A kind's join of what is not a row file (audit's summary, filter's report), after the rows are merged. */
export type MergeHook = (markers: ShardMarker[], merged: MergeResult) => Promise<void>;
