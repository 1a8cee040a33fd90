import { Table } from 'apache-arrow';
import { openReader, type OpenReaderOptions } from './reader.js';

/** Read a whole (small) input into one table: tests, reports and labels files, never a corpus. */
export async function readTable(paths: string | string[], options: OpenReaderOptions = {}): Promise<Table> {
  const batches = [];
  for await (const batch of openReader(paths, options)) batches.push(...batch.batches);
  return batches.length > 0 ? new Table(batches) : new Table();
}
