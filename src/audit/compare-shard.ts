// compare as shards. Audits need not share an order or a sharding, so a rank owns the ids that hash to
// it (FNV-1a mod N), whichever audit they are in: it reads the id and label columns of every audit in
// full but holds only its ids, and its counts are exact for them. Each rank writes its sets part (rows
// in the first audit's order, with that row number) and puts its counts in its completion marker; the
// merge adds the counts up and merges the parts by row number, giving the files one process writes.
import { Table } from 'apache-arrow';
import { UserError } from '../errors.js';
import { openReader, openWriter } from '../io/index.js';
import type { Batch, BatchWriter } from '../io/types.js';
import type { MergeHook } from '../stage/merge-hook.js';
import { partPath, preparePart, writeShardMarker, type Shard, type ShardMarker } from '../stage/shard.js';
import { compareSources, joinAuditFiles, ROW_COLUMN, writeOverlapOutputs, writeSets, type CompareOptions } from './compare.js';
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
  const sources = compareSources(options);
  const idColumn = options.idColumn ?? 'id';
  const owns = (id: string) => ownerOf(id, shard.count) === shard.index;
  const join = await joinAuditFiles(sources, idColumn, owns);
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
    extra: { counts, id_column: idColumn },
  });
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
  if (sets) {
    const rows = await mergeSetsParts(markers, sets);
    const expected = markers.reduce((t, m) => t + (m.stats?.sets_rows ?? 0), 0);
    if (rows !== expected) throw new UserError(`${sets}: merged ${rows} rows but the shard markers say ${expected}; rerun the shards`);
    report.sets = { path: sets, rows };
  }
  await writeOverlapOutputs(report, { output, figure });
};

/** One part being merged: its current batch and position. */
class PartCursor {
  private readonly batches: AsyncIterator<Batch>;
  batch: Table | null = null;
  rows: Float64Array = new Float64Array(0);
  at = 0;

  constructor(readonly path: string) {
    this.batches = openReader(path)[Symbol.asyncIterator]();
  }

  /** Moves to the next row; false at the end of the part. */
  async advance(): Promise<boolean> {
    this.at++;
    while (!this.batch || this.at >= this.batch.numRows) {
      const next = await this.batches.next();
      if (next.done) return false;
      this.batch = next.value;
      const column = this.batch.getChild(ROW_COLUMN);
      if (!column) throw new UserError(`${this.path}: no ${ROW_COLUMN} column; not a compare shard's part, rerun the shards`);
      this.rows = Float64Array.from(column.toArray() as ArrayLike<number>);
      this.at = 0;
    }
    return true;
  }

  get row(): number {
    return this.rows[this.at];
  }
}

/** k-way merge of the shards' sets parts by the first audit's row number, streamed; drops the row column. */
async function mergeSetsParts(markers: ShardMarker[], sets: string): Promise<number> {
  const cursors = markers.map((m) => new PartCursor(partPath(sets, m.index, m.count)));
  const live: PartCursor[] = [];
  for (const c of cursors) {
    c.at = -1;
    if (await c.advance()) live.push(c);
  }
  const writer: BatchWriter = await openWriter(sets);
  let pending: Table[] = [];
  let pendingRows = 0;
  const flush = async () => {
    if (pendingRows === 0) return;
    const merged = pending.length === 1 ? pending[0] : pending.reduce((a, b) => a.concat(b));
    await writer.write(withoutRowColumn(merged));
    pending = [];
    pendingRows = 0;
  };
  try {
    // a min-heap would save comparisons for many shards; the row runs are long, so take a run at a time
    while (live.length > 0) {
      let best = 0;
      for (let i = 1; i < live.length; i++) if (live[i].row < live[best].row) best = i;
      const c = live[best];
      // the run of this part's rows below every other part's head
      let bound = Infinity;
      for (let i = 0; i < live.length; i++) if (i !== best) bound = Math.min(bound, live[i].row);
      const start = c.at;
      let end = start;
      while (end < c.batch!.numRows && c.rows[end] < bound) end++;
      pending.push(c.batch!.slice(start, end));
      pendingRows += end - start;
      c.at = end - 1;
      if (!(await c.advance())) live.splice(best, 1);
      if (pendingRows >= 65_536) await flush();
    }
    await flush();
    if (writer.rowsWritten === 0) {
      // no rows anywhere: still publish a file with the columns
      for await (const batch of openReader(partPath(sets, markers[0].index, markers[0].count))) {
        await writer.write(withoutRowColumn(batch.slice(0, 0)));
        break;
      }
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return writer.rowsWritten;
}

function withoutRowColumn(table: Table): Table {
  return table.select(table.schema.fields.map((f) => f.name).filter((name) => name !== ROW_COLUMN));
}
