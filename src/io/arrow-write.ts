import { AsyncByteQueue, DataType, Field, RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter, Schema, Table, vectorFromArray, type Dictionary, type Vector } from 'apache-arrow';
import { columnValues } from './columns.js';
import { checkSameSchema } from './schema-check.js';
import type { ByteSink } from './sink.js';
import type { Batch, BatchWriter } from './types.js';

/** Collects what the Arrow writer emits so each batch's bytes are written (and awaited) before the next: bounded memory. */
class CollectingQueue extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.chunks.push(value);
  }
  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
}

/** Arrow IPC: the random-access file format, or the stream format (for '-' and .arrows). */
export class ArrowBatchWriter implements BatchWriter {
  rowsWritten = 0;
  private readonly queue = new CollectingQueue();
  private readonly ipc: RecordBatchFileWriter | RecordBatchStreamWriter;
  private schema: Schema | null = null;

  constructor(
    readonly path: string,
    private readonly sink: ByteSink,
    private readonly stream: boolean,
  ) {
    // autoDestroy off: a schema change must be our error, not a silent early close
    this.ipc = stream ? new RecordBatchStreamWriter({ autoDestroy: false }) : new RecordBatchFileWriter({ autoDestroy: false });
    this.ipc.reset(this.queue);
  }

  async write(input: Batch): Promise<void> {
    const batch = this.stream ? input : decodeDictionaries(input);
    if (this.schema) checkSameSchema(this.path, this.schema, batch.schema);
    else {
      this.schema = batch.schema;
      this.ipc.reset(this.queue, batch.schema);
    }
    // rewrapped in the first schema so nullability/metadata differences cannot start a new stream
    for (const rb of batch.batches) this.ipc.write(new RecordBatch(this.schema, rb.data));
    this.rowsWritten += batch.numRows;
    await this.drain();
  }

  async close(): Promise<void> {
    if (!this.schema) this.ipc.reset(this.queue, new Table().schema);
    this.ipc.close();
    await this.drain();
    await this.sink.close();
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }

  private async drain() {
    for (const chunk of this.queue.take()) await this.sink.write(chunk);
  }
}

/**
 * Dictionary columns as their value type. The IPC file format cannot replace a dictionary between
 * batches, and batches built separately (vectorFromArray of strings) each carry their own.
 */
function decodeDictionaries(table: Table): Table {
  const fields = table.schema.fields;
  if (!fields.some((f) => DataType.isDictionary(f.type))) return table;
  const columns: Record<string, Vector> = {};
  const plain = fields.map((f, i) => {
    const column = table.getChildAt(i)!;
    if (!DataType.isDictionary(f.type)) {
      columns[f.name] = column;
      return f;
    }
    const valueType = (f.type as Dictionary).dictionary;
    columns[f.name] = vectorFromArray(Array.from(columnValues(column)), valueType);
    return new Field(f.name, valueType, f.nullable, f.metadata);
  });
  const schema = new Schema(plain, table.schema.metadata);
  return new Table(schema, new Table(columns).batches.map((rb) => new RecordBatch(schema, rb.data)));
}
