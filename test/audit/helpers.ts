import { openReader } from '../../src/io/index.js';

/** Every row of an output file (any format memsieve writes) as plain objects; lists become arrays. */
export async function readOutputRows(path: string): Promise<Record<string, any>[]> {
  const rows: Record<string, any>[] = [];
  for await (const batch of openReader(path)) {
    for (const row of batch.toArray()) {
      const plain: Record<string, any> = {};
      for (const [key, value] of Object.entries(row.toJSON())) {
        plain[key] = value !== null && typeof value === 'object' && 'toArray' in (value as object) ? Array.from((value as any).toArray()) : value;
      }
      rows.push(plain);
    }
  }
  return rows;
}
