// Reads the few columns train needs (id, label, features) from a scores or labels file.
// Holds those columns of every row in memory: a few numbers per row, ~40 bytes/row for 4 features.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { UserError } from '../errors.js';

export interface ColumnValues {
  rows: number;
  /** by requested column name; values as read (string, number, bigint, boolean or null) */
  columns: Record<string, unknown[]>;
}

/**
 * The named columns of every row of `path`. `what` says which option the file came from, for errors
 * (e.g. "--scores").
 */
export async function readColumns(path: string, names: string[], what: string): Promise<ColumnValues> {
  let file;
  try {
    file = await asyncBufferFromFile(path);
  } catch (error) {
    throw new UserError(`${what} ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new UserError(`${what} ${path}: not a readable Parquet file (${(error as Error).message})`);
  }
  const available = parquetSchema(metadata).children.map((c) => c.element.name);
  for (const name of names) {
    if (!available.includes(name)) {
      throw new UserError(`${what} ${path} has no column "${name}" (columns: ${available.join(', ')})`);
    }
  }
  const rows = (await parquetReadObjects({ file, metadata, columns: names, compressors })) as Record<string, unknown>[];
  const columns: Record<string, unknown[]> = {};
  for (const name of names) columns[name] = rows.map((r) => r[name]);
  return { rows: rows.length, columns };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `path` via a temp file and a rename, so a failure never leaves a complete-looking file. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
