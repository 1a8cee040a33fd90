// `memsieve sample`: a deterministic subset of a corpus, every column passed through, in input order.
// A row is in when the hash of (seed, key) says so, so the subset is the same whatever the file order
// or sharding. --fraction needs one pass and no memory; --rows two: the first reads only the key
// column and keeps the N smallest keys in a bounded max-heap, the second writes the rows at or under
// the N-th smallest key.
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { splitRows } from '../filter/take.js';
import { missingColumnError } from '../io/missing-column.js';
import { emptyTable, expandInputs, openReader, openWriter, type Batch, type BatchReader, type Format } from '../io/index.js';
import { Progress } from '../progress.js';
import { compareKeys, fractionCut, sampleKey, type SampleKey } from './key.js';
import { SmallestKeys } from './heap.js';
import { withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';

export interface SampleOptions extends WarningOptions {
  input: string | string[];
  output: string;
  /** share of rows to keep, in (0, 1]: each row independently with this probability */
  fraction?: number;
  /** or: the rows with the N smallest hashes (more only when rows sharing a key straddle the cut) */
  rows?: number;
  seed?: number;
  /** column identifying rows (default "id"); the hashed key unless keyColumn says otherwise */
  idColumn?: string;
  /** hash this column instead, e.g. text or a document id, so rows sharing a value go in or out together */
  keyColumn?: string;
  inputFormat?: Format;
  outputFormat?: Format;
}

export interface SampleSummary {
  output: string;
  rows_in: number;
  rows_out: number;
  fraction: number | null;
  rows: number | null;
  seed: number;
  key_column: string;
}

function realPath(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const folder = dirname(resolve(path));
  return existsSync(folder) ? join(realpathSync(folder), basename(path)) : resolve(path);
}

function checkOptions(options: SampleOptions): void {
  const { fraction, rows, seed = 0 } = options;
  if ((fraction === undefined) === (rows === undefined)) throw new UserError('give one of --fraction F or --rows N');
  if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) throw new UserError(`--fraction ${fraction}: expected a number in (0, 1]`);
  if (rows !== undefined && !(Number.isInteger(rows) && rows > 0)) throw new UserError(`--rows ${rows}: expected a positive whole number`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`--seed ${seed}: expected a whole number >= 0`);
  const inputs = expandInputs(options.input, options.inputFormat, { option: '--input', formatOption: true });
  const output = realPath(options.output);
  for (const file of inputs) {
    if (file !== '-' && realPath(file) === output) throw new UserError(`${options.output}: is also an input; sample writes a new file (choose another --output)`);
  }
  if (rows !== undefined && inputs.includes('-')) throw new UserError('--rows reads the input twice, so not from stdin; save it to a file, or use --fraction');
}

function missingColumn(reader: BatchReader, column: string, columns: string[]): UserError {
  return missingColumnError({ subject: reader.path, name: column, file: [...reader.files], seen: columns, purpose: 'to sample by', hint: 'choose one with --id-column or --key-column' });
}

/** The key of every row of a batch; a missing column or a null value names the file and row. */
function* rowKeys(batch: Batch, column: string, seed: number, reader: BatchReader, firstRow: number): Generator<SampleKey> {
  const where = reader.path;
  const vector = batch.getChild(column);
  if (!vector) throw missingColumn(reader, column, batch.schema.fields.map((f) => f.name));
  for (let i = 0; i < batch.numRows; i++) {
    const value = vector.get(i);
    if (value === null || value === undefined) throw new UserError(`${where}: row ${firstRow + i} has a null '${column}'; every row needs a key to be sampled`);
    yield sampleKey(seed, String(value));
  }
}

/** --rows: the N-th smallest key over the whole input (first pass, the key column only). */
async function rowsCut(options: SampleOptions, column: string, seed: number): Promise<SampleKey | undefined> {
  const smallest = new SmallestKeys(options.rows!);
  const reader = openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat, columns: [column] });
  let row = 0;
  for await (const batch of reader) {
    if (!batch.getChild(column)) {
      // the projection hid the columns; read them for the message
      for await (const full of openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat })) throw missingColumn(reader, column, full.schema.fields.map((f) => f.name));
    }
    for (const key of rowKeys(batch, column, seed, reader, row)) smallest.add(key);
    row += batch.numRows;
  }
  // fewer rows than asked: all of them
  return smallest.size < options.rows! ? undefined : smallest.largest();
}

export function sampleCorpus(options: SampleOptions): Promise<Warned<SampleSummary>> {
  return withWarnings(options, () => sampleRows(options));
}

async function sampleRows(options: SampleOptions): Promise<SampleSummary> {
  checkOptions(options);
  const seed = options.seed ?? 0;
  const column = options.keyColumn ?? options.idColumn ?? 'id';
  let isIn: (key: SampleKey) => boolean;
  if (options.fraction !== undefined) {
    const cut = fractionCut(options.fraction);
    isIn = (key) => key.hash < cut;
  } else {
    const cut = await rowsCut(options, column, seed);
    isIn = cut ? (key) => compareKeys(key, cut) <= 0 : () => true;
  }

  const progress = new Progress({ label: 'sample', quiet: options.quiet, unit: 'rows', expected: () => reader.expected() });
  const reader = openReader(options.input, { option: '--input', formatOption: true, format: options.inputFormat });
  const writer = await openWriter(options.output, { format: options.outputFormat });
  let rowsIn = 0;
  let rowsOut = 0;
  try {
    let schemaBatch: Batch | undefined;
    for await (const batch of reader) {
      schemaBatch ??= batch;
      const dropped = new Uint8Array(batch.numRows);
      let i = 0;
      for (const key of rowKeys(batch, column, seed, reader, rowsIn)) dropped[i++] = isIn(key) ? 0 : 1;
      const [kept] = splitRows(batch, dropped);
      if (kept) {
        await writer.write(kept);
        rowsOut += kept.numRows;
      }
      rowsIn += batch.numRows;
      progress.add(batch.numRows, 0);
    }
    // an empty sample still carries the input's columns
    if (rowsOut === 0 && schemaBatch) await writer.write(emptyTable(schemaBatch.schema));
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const summary: SampleSummary = {
    output: options.output,
    rows_in: rowsIn,
    rows_out: rowsOut,
    fraction: options.fraction ?? null,
    rows: options.rows ?? null,
    seed,
    key_column: column,
  };
  progress.end();
  return summary;
}
