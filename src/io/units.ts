import type { Schema } from 'apache-arrow';
import type { Batch } from './types.js';

/**
 * The smallest piece of a file a shard can own: a Parquet row group, an Arrow record batch or a
 * JSONL chunk of batchRows lines. Loading is deferred so shards skip other shards' units cheaply.
 */
export interface ReadUnit {
  /** rows in the unit when known without loading it (Parquet), so skipped rows cost no decoding */
  rows?: number;
  load(): Promise<Batch>;
  /** the unit as several batches, leaving out its first `skip` rows: a big row group in slices */
  batches?(skip: number): AsyncIterable<Batch>;
  /** the share of the file read once this unit is (rows, record batches or bytes), for progress */
  through?: number;
}

/** One input file as a sequence of units; `schema()` is known once iteration has started (null if the file is empty JSONL). */
export interface FileUnits {
  units: AsyncIterable<ReadUnit>;
  schema(): Schema | null;
}
