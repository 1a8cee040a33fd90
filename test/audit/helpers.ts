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

/**
 * Rows the model itself would continue: prefix + its own greedy continuation of m tokens, with the
 * token at `breakAt[i]` changed (null: left intact, so the row is memorized). Greedy decoding of such a
 * row has lead exactly breakAt[i]: a fixture with known leads for any model.
 */
export async function selfCopyRows(
  model: { greedy(prefixes: Int32Array[], n: number): Promise<Int32Array[]> },
  prefixes: Int32Array[],
  m: number,
  breakAt: (number | null)[],
): Promise<Int32Array[]> {
  const continuations = await model.greedy(prefixes, m);
  return prefixes.map((prefix, i) => {
    const row = new Int32Array(prefix.length + m);
    row.set(prefix);
    row.set(continuations[i], prefix.length);
    const at = breakAt[i];
    if (at !== null) row[prefix.length + at] = (row[prefix.length + at] + 1) % 2048;
    return row;
  });
}
