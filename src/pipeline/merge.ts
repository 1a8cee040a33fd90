// memsieve merge: join the parts of a sharded stage into the file a single process would have
// written, row for row. Shard s owns units s, s+N, s+2N, ... so the parts are interleaved back
// unit by unit, using each shard's ledger (rows written per unit read).
import { readdir, rm, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic.js';
import { basename } from 'node:path';
import type { Table } from 'apache-arrow';
import { UserError } from '../errors.js';
import { detectFormat, expandInputs, openReader, openWriter, parquetRowGroupRows } from '../io/index.js';
import type { Batch, BatchWriter } from '../io/types.js';
import { MERGE_CHECKS, MERGE_HOOKS } from './merge-hooks.js';
import type { MergeResult } from '../stage/merge-hook.js';
import { checkPartsAgree } from '../stage/provenance.js';
import { MARKER_VERSION, markerPath, mergedRecordPath, partPath, partsDir, readShardMarker, type MergedRecord, type ShardMarker } from '../stage/shard.js';
import { withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';

export type { MergeHook, MergeResult } from '../stage/merge-hook.js';

export interface MergeOptions extends WarningOptions {
  /** expected shard count; otherwise read from the part names found */
  count?: number;
  /** keep OUTPUT.parts/ after a successful merge (default: removed) */
  keepParts?: boolean;
}

const PART = /^part-(\d+)-of-(\d+)\./;

/** The shard count the parts under OUTPUT.parts/ were written with. */
async function countFromParts(primary: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(partsDir(primary));
  } catch {
    throw new UserError(`${primary}: no parts found (expected ${partsDir(primary)}/part-IIIII-of-NNNNN.*); run the stage with --shard-index/--shard-count first`);
  }
  const counts = new Set(names.map((n) => PART.exec(n)?.[2]).filter((x): x is string => x !== undefined).map(Number));
  if (counts.size === 0) throw new UserError(`${partsDir(primary)}: no part-IIIII-of-NNNNN files; run the stage with --shard-index/--shard-count first`);
  if (counts.size > 1) {
    throw new UserError(`${partsDir(primary)}: parts of several shard counts (${[...counts].join(', ')}); pass --shard-count, or delete the stale parts`);
  }
  return [...counts][0];
}

/** Reads the markers of all shards; lists every missing one in the error. */
export async function readMarkers(primary: string, count: number): Promise<ShardMarker[]> {
  const markers: Array<ShardMarker | undefined> = [];
  for (let i = 0; i < count; i++) markers.push(await readShardMarker(primary, i, count));
  const missing = markers.flatMap((m, i) => (m ? [] : [i]));
  if (missing.length) {
    const shown = missing.slice(0, 20).join(', ') + (missing.length > 20 ? `, … (${missing.length} in all)` : '');
    throw new UserError(
      `${primary}: ${missing.length} of ${count} shards are not complete: ${shown} ` +
        `(no ${basename(markerPath(primary, missing[0], count))} etc. under ${partsDir(primary)}); ` +
        `rerun them with --shard-index I --shard-count ${count}`,
    );
  }
  const all = markers as ShardMarker[];
  const first = all[0];
  for (const m of all) {
    const same = m.kind === first.kind && JSON.stringify(m.outputs) === JSON.stringify(first.outputs) && JSON.stringify(m.inputs) === JSON.stringify(first.inputs);
    if (!same) {
      throw new UserError(`${markerPath(primary, m.index, count)}: written by another run than shard 0 (different kind, inputs or outputs); delete the stale parts and rerun`);
    }
  }
  return all;
}

/** Rows of shard `s` for each unit it read, for output `key`. */
async function unitRows(marker: ShardMarker, key: string, path: string): Promise<number[]> {
  if (marker.ledger) {
    return marker.ledger.map((e, u) => {
      const n = e.out[key];
      if (n === undefined) throw new UserError(`${path}: ledger entry ${u} has no count for output "${key}"`);
      return n;
    });
  }
  // a one-row-per-input-row stage without a ledger: its units are the input's
  const fromFooters = await parquetUnitRows(marker.inputs).catch(() => null);
  if (fromFooters) return fromFooters.filter((_, u) => u % marker.count === marker.index);
  const rows: number[] = [];
  for await (const batch of openReader(marker.inputs, { shard: { index: marker.index, count: marker.count } })) rows.push(batch.numRows);
  return rows;
}

/** Rows of every unit (row group) of all-Parquet inputs, in openReader's unit order, from the footers alone. */
async function parquetUnitRows(inputs: string[]): Promise<number[] | null> {
  const files = expandInputs(inputs);
  if (!files.every((f) => f !== '-' && detectFormat(f) === 'parquet')) return null;
  const rows: number[] = [];
  for (const file of files) rows.push(...(await parquetRowGroupRows(file)));
  return rows;
}

/** Pulls exactly n rows at a time from a stream of batches. */
class RowTaker {
  private readonly iterator: AsyncIterator<Batch>;
  private pending: Table | null = null;
  constructor(
    readonly path: string,
    source: AsyncIterable<Batch>,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  async take(n: number, sink: (batch: Batch) => Promise<void>): Promise<void> {
    while (n > 0) {
      if (!this.pending || this.pending.numRows === 0) {
        const next = await this.iterator.next();
        if (next.done) throw new UserError(`${this.path}: fewer rows than its completion marker says; rerun that shard`);
        this.pending = next.value;
        continue;
      }
      const k = Math.min(n, this.pending.numRows);
      await sink(k === this.pending.numRows ? this.pending : this.pending.slice(0, k));
      this.pending = this.pending.slice(k);
      n -= k;
    }
  }

  async finish(): Promise<void> {
    if (this.pending && this.pending.numRows > 0) throw new UserError(`${this.path}: more rows than its completion marker says; rerun that shard`);
    for (let next = await this.iterator.next(); !next.done; next = await this.iterator.next()) {
      if (next.value.numRows > 0) throw new UserError(`${this.path}: more rows than its completion marker says; rerun that shard`);
    }
  }
}

/** Interleaves the parts of one output back into single-process order. */
async function mergeOutput(markers: ShardMarker[], key: string): Promise<number> {
  const count = markers.length;
  const final = markers[0].outputs[key];
  const parts = markers.map((m) => partPath(final, m.index, count));
  // the merged file carries the parts' provenance: parts made with other models or settings do not make one file
  await checkPartsAgree(parts);
  const units = await Promise.all(markers.map((m, s) => unitRows(m, key, parts[s])));
  const takers = parts.map((p) => new RowTaker(p, openReader(p)));
  const writer: BatchWriter = await openWriter(final);
  let rows = 0;
  try {
    const rounds = Math.max(...units.map((u) => u.length));
    for (let k = 0; k < rounds; k++) {
      for (let s = 0; s < count; s++) {
        if (k >= units[s].length) continue;
        await takers[s].take(units[s][k], async (batch) => {
          await writer.write(batch);
          rows += batch.numRows;
        });
      }
    }
    for (const t of takers) await t.finish();
    if (rows === 0) {
      // no rows anywhere: still publish a file with the columns (the reader yields an empty table)
      for await (const batch of openReader(parts[0])) {
        await writer.write(batch.slice(0, 0));
        break;
      }
    }
    const expected = markers.reduce((sum, m) => sum + (m.rows[key] ?? 0), 0);
    if (rows !== expected) throw new UserError(`${final}: merged ${rows} rows but the shard markers say ${expected}; rerun the shards`);
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return rows;
}

/** Joins the parts of `primaryOutput` (and the stage's other outputs) into their final files. */
export function mergeShards(primaryOutput: string, options: MergeOptions = {}): Promise<Warned<MergeResult>> {
  return withWarnings(options, () => joinParts(primaryOutput, options));
}

async function joinParts(primaryOutput: string, options: MergeOptions = {}): Promise<MergeResult> {
  const count = options.count ?? (await countFromParts(primaryOutput));
  if (!Number.isInteger(count) || count < 1) throw new UserError(`--shard-count: expected a whole number >= 1, got ${count}`);
  const markers = await readMarkers(primaryOutput, count);
  const kind = markers[0].kind;
  const hook = MERGE_HOOKS[kind];
  await MERGE_CHECKS[kind]?.(markers);
  const result: MergeResult = { kind, count, outputs: {}, stats: {} };
  for (const m of markers) {
    for (const [name, value] of Object.entries(m.stats ?? {})) result.stats[name] = (result.stats[name] ?? 0) + value;
  }
  for (const [key, path] of Object.entries(markers[0].outputs)) {
    if (!(key in markers[0].rows)) continue; // not a row file: the kind's hook joins it
    result.outputs[key] = { path, rows: await mergeOutput(markers, key) };
  }
  const rowless = Object.keys(markers[0].outputs).filter((k) => !(k in markers[0].rows));
  if (rowless.length && !hook) throw new UserError(`${primaryOutput}: ${kind} shards wrote ${rowless.join(', ')}, which this build cannot merge`);
  if (hook) await hook(markers, result);
  if (!options.keepParts) {
    for (const path of Object.values(markers[0].outputs)) await rm(partsDir(path), { recursive: true, force: true });
  } else if (result.outputs[Object.keys(markers[0].outputs)[0]]) {
    // binds the kept parts to this merged file: a later rewrite of it makes them stale (filter's shard-local join)
    const [key, final] = Object.entries(markers[0].outputs)[0];
    const s = await stat(final);
    const record: MergedRecord = { version: MARKER_VERSION, output: final, size: s.size, mtime_ms: s.mtimeMs, rows: result.outputs[key].rows, count };
    await writeFileAtomic(mergedRecordPath(final), `${JSON.stringify(record)}\n`);
  }
  return result;
}
