import { DataType, Table, Type, type Field, type Schema, type Vector } from 'apache-arrow';
import type { DecodedArray, RowGroup } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { UserError } from '../errors.js';
import { columnValues } from './columns.js';
import { parquetSchemaOf } from './parquet-types.js';
import { checkSameSchema } from './schema-check.js';
import type { ByteSink } from './sink.js';
import type { ResumePoint } from './checkpoint.js';
import type { Batch, BatchWriter, ResumedOutput } from './types.js';
import { parquetCompression } from './zstd.js';

/** Row groups close at whichever limit comes first: enough rows for shards to split on, bounded bytes. */
export const ROW_GROUP_ROWS = 10_000;

/**
 * Rows per written row group: MEMSIEVE_ROW_GROUP_ROWS when set, else ROW_GROUP_ROWS. A row group is
 * also the checkpoint interval of a resumable stage (score, audit), which also closes one after
 * `checkpointSeconds` (CHECKPOINT_SECONDS by default) so a slow run loses minutes, not hours.
 */
export function defaultRowGroupRows(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.MEMSIEVE_ROW_GROUP_ROWS;
  if (text === undefined || text === '') return ROW_GROUP_ROWS;
  const rows = Number(text);
  if (!Number.isInteger(rows) || rows < 1) throw new UserError(`MEMSIEVE_ROW_GROUP_ROWS=${text}: must be a positive integer`);
  return rows;
}
export const ROW_GROUP_BYTES = 64 << 20;

/**
 * A resumable stage's default time bound between checkpoints: a kill loses at most about this much work.
 * Five minutes: on a GPU a 10,000-row group fills well within it (row groups stay full-sized); on a
 * CPU with a large teacher, where 10,000 rows can take hours, groups close every five minutes instead.
 */
export const CHECKPOINT_SECONDS = 300;

/** ByteWriter that hands each finished row group to the sink, so the file never sits in memory. */
class SinkByteWriter extends ByteWriter {
  constructor(private readonly sink: ByteSink) {
    super(1 << 20);
  }
  async flush(): Promise<void> {
    await this.sink.write(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }
  override finish(): Promise<void> {
    return this.flush();
  }
}

/** What a checkpoint keeps of hyparquet-writer's state for the row groups written since the last one. */
interface WriterDelta {
  rowGroups: RowGroup[];
  /** per column chunk of those row groups, in order: the page indexes written with the footer */
  indexes: { columnIndex?: unknown; offsetIndex?: unknown }[];
}

export class ParquetBatchWriter implements BatchWriter {
  rowsWritten = 0;
  readonly resumed?: ResumedOutput;
  private readonly restore?: ResumePoint;
  private lastStage: unknown = null;
  private pending: Table[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;
  private schema: Schema | null = null;
  private parquet: ParquetWriter | null = null;
  private readonly bytes: SinkByteWriter;
  private lastCheckpoint = Date.now();

  constructor(
    readonly path: string,
    private readonly sink: ByteSink,
    private readonly rowGroupRows = defaultRowGroupRows(),
    /** with a checkpointed sink: also close a row group (a checkpoint) once this long has passed since the last */
    private readonly checkpointSeconds?: number,
  ) {
    this.bytes = new SinkByteWriter(sink);
    if (sink.resumed) {
      this.restore = sink.resumed;
      this.resumed = { rows: sink.resumed.rows, stage: sink.resumed.stage };
      this.rowsWritten = sink.resumed.rows;
    }
  }

  async write(batch: Batch, stage?: unknown): Promise<void> {
    if (this.schema) checkSameSchema(this.path, this.schema, batch.schema);
    else this.start(batch.schema);
    if (batch.numRows === 0) return;
    this.lastStage = stage ?? null;
    this.pending.push(batch);
    this.pendingRows += batch.numRows;
    this.pendingBytes += byteSizeOf(batch);
    const due = this.sink.checkpoint !== undefined && this.checkpointSeconds !== undefined && Date.now() - this.lastCheckpoint >= this.checkpointSeconds * 1000;
    if (this.pendingRows >= this.rowGroupRows || this.pendingBytes >= ROW_GROUP_BYTES || due) await this.flushRowGroup(true);
  }

  async close(): Promise<void> {
    if (!this.schema) this.start(new Table().schema);
    await this.flushRowGroup();
    await this.parquet!.finish();
    await this.sink.close();
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }

  private start(schema: Schema) {
    this.schema = schema;
    this.parquet = new ParquetWriter({
      writer: this.bytes,
      schema: parquetSchemaOf(schema, this.path),
      ...parquetCompression(),
      kvMetadata: [...schema.metadata].map(([key, value]) => ({ key, value })),
      createdBy: 'memsieve (hyparquet-writer)',
    });
    if (this.restore) this.restoreFrom(this.restore);
  }

  /**
   * Continue a dead run's file: its bytes end at a row-group boundary; the footer still to be written
   * needs those row groups' metadata and page indexes, saved in the checkpoints.
   */
  private restoreFrom(point: ResumePoint) {
    const parquet = this.parquet as unknown as { row_groups: RowGroup[]; num_rows: bigint; pendingIndexes: object[] };
    this.bytes.index = 0; // the constructor's magic bytes are in the file already
    this.bytes.offset = point.bytes;
    for (const delta of point.writer as WriterDelta[]) {
      let k = 0;
      for (const group of delta.rowGroups) {
        parquet.row_groups.push(group);
        parquet.num_rows += group.num_rows;
        for (const chunk of group.columns) parquet.pendingIndexes.push({ chunk, ...delta.indexes[k++] });
      }
    }
  }

  private async flushRowGroup(checkpoint = false) {
    if (this.pendingRows === 0) return;
    const tables = this.pending;
    const rows = this.pendingRows;
    this.pending = [];
    this.pendingRows = 0;
    this.pendingBytes = 0;
    // per table, then joined: batches may differ in dictionary ids, so they cannot share one Table
    const columnData = this.schema!.fields.map((field, i) => ({
      name: field.name,
      data: concatValues(tables.map((t) => parquetValues(t.getChildAt(i)!, field))),
    }));
    const parquet = this.parquet as unknown as { row_groups: RowGroup[]; pendingIndexes: { columnIndex?: unknown; offsetIndex?: unknown }[] };
    const groupsBefore = parquet.row_groups.length;
    const indexesBefore = parquet.pendingIndexes.length;
    await this.parquet!.write({ columnData, rowGroupSize: this.rowGroupRows });
    this.rowsWritten += rows;
    if (checkpoint && this.sink.checkpoint) {
      const delta: WriterDelta = {
        rowGroups: parquet.row_groups.slice(groupsBefore),
        indexes: parquet.pendingIndexes.slice(indexesBefore).map(({ columnIndex, offsetIndex }) => ({ columnIndex, offsetIndex })),
      };
      await this.sink.checkpoint(this.rowsWritten, delta, this.lastStage);
      this.lastCheckpoint = Date.now();
    }
  }
}

function concatValues(parts: DecodedArray[]): DecodedArray {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  if (ArrayBuffer.isView(first) && parts.every((p) => p.constructor === first.constructor)) {
    const Ctor = first.constructor as new (n: number) => DecodedArray & { set(a: ArrayLike<unknown>, o: number): void };
    const out = new Ctor(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p as ArrayLike<unknown>, offset);
      offset += p.length;
    }
    return out;
  }
  return parts.flatMap((p) => Array.from(p as ArrayLike<unknown>));
}

/** Values in the form hyparquet-writer encodes for the field's Parquet type (see parquetSchemaOf). */
function parquetValues(vector: Vector, field: Field): DecodedArray {
  const type = field.type as DataType;
  if (type.typeId === Type.Timestamp || (type.typeId === Type.Date && (type as unknown as { unit: number }).unit === 0)) {
    // the stored integers (days, or ms/us/ns since the epoch); get() would round them through a JS Date
    const scale = type.typeId === Type.Timestamp && (type as unknown as { unit: number }).unit === 0 ? 1000n : 1n;
    const out: unknown[] = new Array(vector.length);
    let k = 0;
    for (const data of vector.data) {
      const values = data.values as BigInt64Array | Int32Array;
      for (let j = 0; j < data.length; j++, k++) {
        out[k] = data.getValid(j) ? (typeof values[j] === 'bigint' ? (values[j] as bigint) * scale : values[j]) : null;
      }
    }
    return out;
  }
  if (type.typeId === Type.Utf8) return utf8Bytes(vector);
  // hyparquet-writer maps UINT_32 into int32 range only from a plain array (a Uint32Array fails its int32 check)
  if (DataType.isInt(type) && !type.isSigned && type.bitWidth === 32) return Array.from(columnValues(vector));
  if (type.typeId === Type.Date) return Array.from({ length: vector.length }, (_, i) => (vector.isValid(i) ? BigInt(vector.get(i) as number) : null));
  return columnValues(vector) as DecodedArray;
}

/**
 * Each string as UTF-8 bytes copied out of Arrow's buffer: hyparquet-writer takes bytes, so no
 * decode/encode round trip. A copy, not a view: statistics keep min/max values until the footer,
 * and a view would pin every row group's whole buffer (memory growing with rows).
 */
function utf8Bytes(vector: Vector): (Uint8Array | null)[] {
  const out: (Uint8Array | null)[] = new Array(vector.length);
  let k = 0;
  for (const data of vector.data) {
    const offsets = data.valueOffsets as Int32Array;
    const values = data.values as Uint8Array;
    for (let j = 0; j < data.length; j++, k++) out[k] = data.getValid(j) ? values.slice(offsets[j], offsets[j + 1]) : null;
  }
  return out;
}

function byteSizeOf(table: Table): number {
  let total = 0;
  const visit = (data: { values?: ArrayBufferView; valueOffsets?: ArrayBufferView; nullBitmap?: ArrayBufferView; children: unknown[] }) => {
    total += (data.values?.byteLength ?? 0) + (data.valueOffsets?.byteLength ?? 0) + (data.nullBitmap?.byteLength ?? 0);
    for (const child of data.children) visit(child as typeof data);
  };
  for (const batch of table.batches) visit(batch.data as never);
  return total;
}
