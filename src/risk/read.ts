// Reads the few columns train needs (id, label, features) from a scores or labels file, batch by batch.
// Only those columns of every row are kept: a string id and a few numbers per row (~100 bytes/row with
// 4 features, 100 MB for 1M rows); other columns (text) are dropped batch by batch.
import { openReader, tableColumnValues, type Batch } from '../io/index.js';
import { ID_HINT } from '../io/add-ids.js';
import { missingColumnError } from '../io/missing-column.js';

export interface ColumnValues {
  rows: number;
  /** by requested column name; values as plain JS (string, number, bigint, boolean or null) */
  columns: Record<string, unknown[]>;
}

/** The named columns of every row of `path` (Parquet, Arrow IPC or JSONL). `option` names the CLI option, for errors. */
/** `onBatch` sees each batch once its columns are checked. */
export async function readColumns(path: string, names: string[], option: string, onBatch?: (batch: Batch) => void): Promise<ColumnValues> {
  const columns: Record<string, unknown[]> = Object.fromEntries(names.map((name) => [name, []]));
  let rows = 0;
  let checked = false;
  for await (const batch of openReader(path, { option, columns: names })) {
    if (!checked) {
      const available = batch.schema.fields.map((f) => f.name);
      for (const name of names) {
        if (!available.includes(name)) {
          const hint = name === names[0] ? ID_HINT : option === '--labels' ? 'choose one with --label-column' : undefined;
          throw missingColumnError({ subject: `${option} ${path}`, name, file: path, seen: available, hint });
        }
      }
      checked = true;
    }
    onBatch?.(batch);
    for (const name of names) {
      const values = tableColumnValues(batch, name)!;
      const out = columns[name];
      for (let i = 0; i < values.length; i++) out.push(values[i]);
    }
    rows += batch.numRows;
  }
  return { rows, columns };
}
