// Shared access to the reference kit for tests: independent numbers come from golden.parquet.
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

export const KIT = join(import.meta.dirname, '..', '..', 'fixtures', 'brown-tiny');
export const kitFile = (name: string) => join(KIT, name);

function arrayBufferOf(path: string): ArrayBuffer {
  const bytes = readFileSync(path);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
}

/** All rows of a small Parquet file as objects (tests only; the product streams). */
export async function readParquetRows(path: string): Promise<Record<string, any>[]> {
  return (await parquetReadObjects({ file: arrayBufferOf(path), compressors })) as Record<string, any>[];
}

export async function kitCorpus() {
  return readParquetRows(kitFile('corpus.parquet'));
}

export async function kitGolden() {
  return readParquetRows(kitFile('golden.parquet'));
}

export function tempDir(prefix = 'memsieve-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The kit corpus's first `rows` rows as a Parquet file in row groups of `groupRows` (the reader's batches). */
export async function writeKitHead(path: string, rows: number, groupRows: number): Promise<void> {
  const { openReader, openWriter } = await import('../../src/io/index.js');
  const writer = await openWriter(path, { rowGroupRows: groupRows });
  let left = rows;
  for await (const batch of openReader(kitFile('corpus.parquet'))) {
    if (left <= 0) break;
    const part = batch.slice(0, left);
    left -= part.numRows;
    await writer.write(part);
  }
  await writer.close();
}
