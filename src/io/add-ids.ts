// memsieve joins a corpus with its scores, audits and reports by id. A corpus without an id column
// gets one here: the row number across the input files in order, optionally prefixed, as a string.
import { Table, Utf8, vectorFromArray } from 'apache-arrow';
import { UserError } from '../errors.js';
import { openReader } from './reader.js';
import type { Format } from './types.js';
import { openWriter } from './writer.js';
import { withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';

/** What to do about a missing id column (filter, train). */
export const ID_HINT = "pass --id-column, or give a corpus without ids one with 'memsieve add-ids' (then score and audit that file)";

export interface AddIdsOptions extends WarningOptions {
  input: string | string[];
  output: string;
  /** name of the new column (default "id") */
  idColumn?: string;
  /** put before each row number, e.g. "web-" gives web-0, web-1, … */
  prefix?: string;
  inputFormat?: Format;
  outputFormat?: Format;
}

/** Writes the input with an id column first; returns the number of rows. */
export function addIds(options: AddIdsOptions): Promise<Warned<{ output: string; rows: number; id_column: string }>> {
  return withWarnings(options, () => writeWithIds(options));
}

async function writeWithIds(options: AddIdsOptions): Promise<{ output: string; rows: number; id_column: string }> {
  const idColumn = options.idColumn ?? 'id';
  const prefix = options.prefix ?? '';
  const reader = openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat });
  const writer = await openWriter(options.output, { format: options.outputFormat });
  let rows = 0;
  try {
    for await (const batch of reader) {
      if (batch.schema.fields.some((f) => f.name === idColumn)) {
        throw new UserError(`${reader.path}: already has a column "${idColumn}"; use it (--id-column ${idColumn}), or name the new one with --id-column`);
      }
      const ids = vectorFromArray(Array.from({ length: batch.numRows }, (_, i) => `${prefix}${rows + i}`), new Utf8());
      const columns = Object.fromEntries([[idColumn, ids], ...batch.schema.fields.map((f, j) => [f.name, batch.getChildAt(j)!])]);
      await writer.write(new Table(columns));
      rows += batch.numRows;
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return { output: options.output, rows, id_column: idColumn };
}
