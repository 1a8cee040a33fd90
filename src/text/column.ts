import type { Batch } from '../io/types.js';
import { UserError } from '../errors.js';
import { missingColumnError } from '../io/missing-column.js';

/** Texts of one batch, checked: every value a non-empty string, else an error naming file, row and id. */
export function textsOf(batch: Batch, textColumn: string, idColumn: string | undefined, where: { path: string; files: readonly string[]; firstRow: number }): string[] {
  const column = batch.getChild(textColumn);
  if (!column) {
    throw missingColumnError({ subject: where.path, name: textColumn, file: [...where.files], seen: batch.schema.fields.map((f) => f.name), purpose: 'for the text', hint: 'choose one with --text-column' });
  }
  const ids = idColumn ? batch.getChild(idColumn) : null;
  const texts: string[] = new Array(batch.numRows);
  for (let i = 0; i < batch.numRows; i++) {
    const value = column.get(i);
    if (typeof value !== 'string' || value.length === 0) {
      const what = value === null || value === undefined ? 'null' : typeof value !== 'string' ? `not a string (${typeof value})` : 'empty';
      const id = ids ? ` (id ${String(ids.get(i))})` : '';
      throw new UserError(`${where.path}: row ${where.firstRow + i}${id}: '${textColumn}' is ${what}; every row needs text`);
    }
    texts[i] = value;
  }
  return texts;
}

/** Check the id column exists; returns false (with the caller saying so) when row indices stand in. */
export function hasIdColumn(batch: Batch, idColumn: string): boolean {
  return batch.getChild(idColumn) !== null;
}
