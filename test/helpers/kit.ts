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
