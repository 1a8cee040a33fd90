// compare as shards. Audits need not share an order or a sharding, so a rank owns the ids that hash to
// it (FNV-1a mod N), whichever audit they are in: it reads the id and label columns of every audit in
// full but holds only its ids, and its counts are exact for them. Each rank writes its sets part (rows
// in the first audit's order, with that row number) and puts its counts in its completion marker; the
// merge adds the counts up and merges the parts by row number, giving the files one process writes.
import { UserError } from '../errors.js';
import { columnValues, openReader } from '../io/index.js';
import type { Batch } from '../io/types.js';
import type { MergeHook } from '../stage/merge-hook.js';
import { warnAlike, type Mismatch } from '../stage/provenance.js';
import { partPath, preparePart, writeShardMarker, type Shard, type ShardMarker } from '../stage/shard.js';
import { compareSources, joinAuditFiles, ROW_COLUMN, SetsWriter, writeOverlapOutputs, writeSets, warnRoles, type CompareOptions } from './compare.js';
import { addOverlapCounts, overlapReport, type OverlapCounts, type OverlapReport } from './overlap.js';

/** The rank that owns an id: FNV-1a (32-bit) of its UTF-16 code units, mod the shard count. */
export function ownerOf(id: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

/** Runs one rank: its sets part under SETS.parts/, its counts in the marker under OUTPUT.parts/. */
export async function compareShard(options: CompareOptions, shard: Shard): Promise<OverlapCounts> {
  const { sources, alike } = await compareSources(options);
  const idColumn = options.idColumn ?? 'id';
  const owns = (id: string) => ownerOf(id, shard.count) === shard.index;
  const join = await joinAuditFiles(sources, idColumn, owns);
  warnAlike(alike);
  const counts = join.counts();
  let setsRows: number | undefined;
  if (options.sets) setsRows = await writeSets(join, sources, idColumn, await preparePart(options.sets, shard), { owns, withRow: true });
  await preparePart(options.output, shard);
  await writeShardMarker({
    kind: 'compare',
    shard,
    inputs: sources.map((s) => s.path),
    outputs: { output: options.output, ...(options.sets ? { sets: options.sets } : {}), ...(options.figure ? { figure: options.figure } : {}) },
    rows: {}, // the sets parts are merged by row number, in mergeCompareReport, not interleaved by units
    stats: { rows_compared: counts.rows_compared, ...(setsRows !== undefined ? { sets_rows: setsRows } : {}) },
    extra: { counts, id_column: idColumn, allowed_mismatches: alike.allowed_mismatches },
  });
  warnRoles(sources);
  return counts;
}

/** compare: overlap.json (counts added up), the sets file (parts merged in the first audit's order) and the figure. */
export const mergeCompareReport: MergeHook = async (markers) => {
  const { output, sets, figure } = markers[0].outputs;
  const parts = markers.map((m) => (m.extra as { counts: OverlapCounts }).counts);
  for (const [s, p] of parts.entries()) {
    if (JSON.stringify(p.names) !== JSON.stringify(parts[0].names) || p.names.some((n) => p.audits[n].column !== parts[0].audits[n].column)) {
      throw new UserError(`${output}: shard ${s} compared other audits than shard 0; rerun the compare shards`);
    }
  }
  const report: OverlapReport = overlapReport(addOverlapCounts(parts));
  const allowed = (markers[0].extra as { allowed_mismatches?: Mismatch[] }).allowed_mismatches ?? [];
  if (allowed.length > 0) report.allowed_mismatches = allowed;
  if (sets) {
    const idColumn = (markers[0].extra as { id_column: string }).id_column;
    const rows = await mergeSetsParts(markers, sets, parts[0].names, idColumn);
    const expected = markers.reduce((t, m) => t + (m.stats?.sets_rows ?? 0), 0);
    if (rows !== expected) throw new UserError(`${sets}: merged ${rows} rows but the shard markers say ${expected}; rerun the shards`);
    report.sets = { path: sets, rows };
  }
  await writeOverlapOutputs(report, { output, figure });
};

/** One part being merged: its current batch as arrays, and the position in it. */
class PartCursor {
  private readonly batches: AsyncIterator<Batch>;
  ids: string[] = [];
  masks: number[] = [];
  rows: Float64Array = new Float64Array(0);
  at = -1;

  constructor(
    readonly path: string,
    private readonly names: string[],
    private readonly idColumn: string,
  ) {
    this.batches = openReader(path)[Symbol.asyncIterator]();
  }

  /** Moves to the next row; false at the end of the part. */
  async advance(): Promise<boolean> {
    this.at++;
    while (this.at >= this.rows.length) {
      const next = await this.batches.next();
      if (next.done) return false;
      const batch = next.value;
      const column = (name: string) => {
        const vector = batch.getChild(name);
        if (!vector) throw new UserError(`${this.path}: no column ${name}; not a part of this compare run, rerun the shards`);
        return columnValues(vector);
      };
      this.rows = Float64Array.from(column(ROW_COLUMN) as ArrayLike<number>);
      this.ids = Array.from(column(this.idColumn), String);
      const flags = this.names.map((name) => column(name));
      this.masks = Array.from({ length: batch.numRows }, (_, i) => flags.reduce((m: number, f, a) => (f[i] ? m | (1 << a) : m), 0));
      this.at = 0;
    }
    return true;
  }

  get row(): number {
    return this.rows[this.at];
  }
}

/** k-way merge of the shards' sets parts by the first audit's row number, streamed; the row column is dropped. */
async function mergeSetsParts(markers: ShardMarker[], sets: string, names: string[], idColumn: string): Promise<number> {
  const live: PartCursor[] = [];
  for (const m of markers) {
    const cursor = new PartCursor(partPath(sets, m.index, m.count), names, idColumn);
    if (await cursor.advance()) live.push(cursor);
  }
  const writer = await SetsWriter.open(sets, names, idColumn);
  try {
    while (live.length > 0) {
      // the part with the lowest next row, and how far its rows stay below every other part's next row
      let best = 0;
      let bound = Infinity;
      for (let i = 1; i < live.length; i++) {
        if (live[i].row < live[best].row) {
          bound = Math.min(bound, live[best].row);
          best = i;
        } else bound = Math.min(bound, live[i].row);
      }
      const c = live[best];
      let more = true;
      do {
        await writer.add(c.ids[c.at], c.masks[c.at]);
        more = await c.advance();
      } while (more && c.row < bound);
      if (!more) live.splice(best, 1);
    }
    return await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
