import { rm } from 'node:fs/promises';
import { DataType, Type, type Vector } from 'apache-arrow';
import { columnValues } from './columns.js';
import { metadataSidecarPath, writeSidecar } from './metadata.js';
import type { ByteSink } from './sink.js';
import type { Batch, BatchWriter, ResumedOutput } from './types.js';

/** One JSON object per row, keys in column order. 64-bit integers are written as exact JSON numbers. */
export class JsonlBatchWriter implements BatchWriter {
  rowsWritten = 0;
  readonly resumed?: ResumedOutput;
  private metadata: Map<string, string> | null = null;

  constructor(
    readonly path: string,
    private readonly sink: ByteSink,
  ) {
    // lines only append: the file cut back to a checkpoint is all a resumed writer needs
    if (sink.resumed) {
      this.resumed = { rows: sink.resumed.rows, stage: sink.resumed.stage };
      this.rowsWritten = sink.resumed.rows;
    }
  }

  async write(batch: Batch, stage?: unknown): Promise<void> {
    this.metadata ??= batch.schema.metadata;
    const keys = batch.schema.fields.map((f) => JSON.stringify(f.name));
    const columns = batch.schema.fields.map((f, i) => jsonValues(batch.getChildAt(i)!, f.type));
    // floats keep a fraction (2.0) so the JSONL reader infers Float64 again, not Int64
    const floats = batch.schema.fields.map((f) => String(f.type).includes('Float'));
    const lines: string[] = new Array(batch.numRows);
    for (let r = 0; r < batch.numRows; r++) {
      let line = '{';
      for (let c = 0; c < keys.length; c++) line += `${c > 0 ? ',' : ''}${keys[c]}:${toJson(columns[c][r], floats[c])}`;
      lines[r] = `${line}}\n`;
    }
    if (lines.length > 0) await this.sink.write(lines.join(''));
    this.rowsWritten += batch.numRows;
    if (lines.length > 0) await this.sink.checkpoint?.(this.rowsWritten, null, stage);
  }

  /** JSONL has no place for metadata: memsieve's keys go to a sidecar (metadata.ts), written after the rows */
  async close(): Promise<void> {
    if (this.path !== '-') await rm(metadataSidecarPath(this.path), { force: true });
    await this.sink.close();
    await writeSidecar(this.path, this.metadata);
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }
}

/** Column values for JSON; timestamps and dates become ISO-8601 strings. */
function jsonValues(vector: Vector, type: DataType): ArrayLike<unknown> {
  if (type.typeId === Type.Timestamp || type.typeId === Type.Date) {
    return Array.from({ length: vector.length }, (_, i) => {
      const ms = vector.get(i) as number | null;
      return ms === null ? null : new Date(ms).toISOString();
    });
  }
  return columnValues(vector);
}

function toJson(value: unknown, float: boolean): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      // JSON has no NaN/Infinity
      if (!Number.isFinite(value)) return 'null';
      return float && Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(1) : String(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    default:
      break;
  }
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return `[${Array.from(value as ArrayLike<unknown>, (v) => toJson(v, float)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v, float)}`);
  return `{${entries.join(',')}}`;
}
