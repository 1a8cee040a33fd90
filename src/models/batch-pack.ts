// Ragged token batches travel between threads as one flat Int32Array plus offsets (transferable, no copies).

export interface PackedRows {
  flat: Int32Array;
  offsets: Int32Array;
}

export function packRows(rows: Int32Array[]): PackedRows {
  const offsets = new Int32Array(rows.length + 1);
  for (let r = 0; r < rows.length; r++) offsets[r + 1] = offsets[r] + rows[r].length;
  const flat = new Int32Array(offsets[rows.length]);
  for (let r = 0; r < rows.length; r++) flat.set(rows[r], offsets[r]);
  return { flat, offsets };
}

export function unpackRows({ flat, offsets }: PackedRows): Int32Array[] {
  const rows: Int32Array[] = [];
  for (let r = 0; r + 1 < offsets.length; r++) rows.push(flat.subarray(offsets[r], offsets[r + 1]));
  return rows;
}

/** Flat per-row results of length row.length − start back into one array per row. */
export function splitRows(flat: Int32Array, rows: Int32Array[], start: number): Int32Array[] {
  const out: Int32Array[] = [];
  let at = 0;
  for (const row of rows) {
    const n = Math.max(0, row.length - start);
    out.push(flat.subarray(at, at + n));
    at += n;
  }
  if (at !== flat.length) throw new Error(`backend returned ${flat.length} argmaxes for ${at} positions`);
  return out;
}
