import { open, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader, Table, type RecordBatch } from 'apache-arrow';
import { UserError } from '../errors.js';
import { checkOption } from './format.js';
import type { InputNaming } from './types.js';
import type { FileUnits, ReadUnit } from './units.js';

/** An Arrow IPC file or stream ('-' = stdin) as record-batch units; the file format reads only the batches asked for. */
export async function arrowUnits(path: string, naming?: InputNaming): Promise<FileUnits> {
  let handle: FileHandle | undefined;
  if (path !== '-') {
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${path}: no such file${checkOption(naming)}`);
      throw error;
    }
  }
  let reader: RecordBatchReader;
  try {
    reader = await (handle ? RecordBatchReader.from(handle) : RecordBatchReader.from(process.stdin));
    await reader.open();
    if (!reader.schema) throw new Error('no schema message');
  } catch (error) {
    await handle?.close();
    throw new UserError(`${path}: not an Arrow IPC file or stream (${(error as Error).message}); check the file${naming?.formatOption ? ', or pass --format' : ''}`);
  }
  const wrap = (batch: RecordBatch | null, index: number): Table => {
    if (!batch) throw new UserError(`${path}: record batch ${index} is missing; the file is truncated`);
    return new Table(batch);
  };
  async function* units(): AsyncGenerator<ReadUnit> {
    try {
      if (reader.isFile()) {
        for (let i = 0; i < reader.numRecordBatches; i++) {
          yield { load: async () => wrap(await reader.readRecordBatch(i), i), through: (i + 1) / reader.numRecordBatches };
        }
      } else {
        let index = 0;
        for await (const batch of reader as AsyncIterable<RecordBatch>) {
          const table = wrap(batch, index++);
          yield { load: async () => table };
        }
      }
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`${path}: cannot read Arrow IPC: ${(error as Error).message}`);
    } finally {
      await handle?.close();
    }
  }
  return { units: units(), schema: () => reader.schema };
}
