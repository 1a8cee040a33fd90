// The --by column of a file with its ids, batch by batch, both columns checked once: compare and verdict
// read their subgroups through it (what each keeps of a duplicated id is its own).
import type { Vector } from 'apache-arrow';
import { openReader } from '../io/index.js';
import { missingColumnError } from '../io/missing-column.js';

/**
 * Each batch's id and `column` vectors from `file` (read as `option`). A missing id column is named with
 * `subject`, a missing `column` with `hint` (where else the column may be found).
 */
export async function* groupColumnBatches(
  file: string,
  column: string,
  idColumn: string,
  o: { option: string; subject: string; hint: string },
): AsyncGenerator<{ ids: Vector; values: Vector; numRows: number }> {
  for await (const batch of openReader(file, { option: o.option, columns: [idColumn, column] })) {
    const seen = batch.schema.fields.map((f) => f.name);
    const ids = batch.getChild(idColumn);
    if (!ids) throw missingColumnError({ subject: o.subject, name: idColumn, file, seen, purpose: 'for ids', hint: 'choose one with --id-column' });
    const values = batch.getChild(column);
    if (!values) throw missingColumnError({ subject: `--by ${column}: ${file}`, name: column, file, seen, purpose: 'to group by', hint: o.hint });
    yield { ids, values, numRows: batch.numRows };
  }
}
