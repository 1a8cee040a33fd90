// A small slice of the kit corpus for pipeline tests: 200 rows in corpus order, a fifth of them
// rows the kit's student memorized (so train has both labels), in 8 row groups of 25 rows (so
// 4 shards own two units each and the merge must interleave them). Two rows have the short texts real
// corpora hold: one of a single token (nothing to score) and one too short to audit.
import { join } from 'node:path';
import { Int64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { openWriter } from '../../src/io/index.js';
import { kitCorpus, kitGolden } from '../helpers/kit.js';

export const SLICE_ROWS = 200;
export const SLICE_GROUP_ROWS = 25;
/** row index → replacement text: "The" is one token, "Thank you." four */
export const SHORT_TEXTS = new Map([[30, 'The'], [130, 'Thank you.']]);

export async function writeKitSlice(dir: string, name = 'corpus.parquet'): Promise<string> {
  const [corpus, golden] = await Promise.all([kitCorpus(), kitGolden()]);
  const memorized = new Set(golden.filter((g) => g.mem_student).map((g) => g.id as string));
  const positives = corpus.filter((r) => memorized.has(r.id)).slice(0, SLICE_ROWS / 5);
  const negatives = corpus.filter((r) => !memorized.has(r.id)).slice(0, SLICE_ROWS - positives.length);
  const chosen = new Set([...positives, ...negatives].map((r) => r.id as string));
  const rows = corpus.filter((r) => chosen.has(r.id)).map((r, i) => (SHORT_TEXTS.has(i) ? { ...r, text: SHORT_TEXTS.get(i) } : r));
  const path = join(dir, name);
  const writer = await openWriter(path, { rowGroupRows: SLICE_GROUP_ROWS });
  for (let i = 0; i < rows.length; i += SLICE_GROUP_ROWS) {
    const part = rows.slice(i, i + SLICE_GROUP_ROWS);
    await writer.write(
      new Table({
        id: vectorFromArray(part.map((r) => r.id as string), new Utf8()),
        text: vectorFromArray(part.map((r) => r.text as string), new Utf8()),
        copies: vectorFromArray(part.map((r) => BigInt(r.copies)), new Int64()),
      }),
    );
  }
  await writer.close();
  return path;
}

/** All rows of a small file as plain objects, through memsieve's own reader (zstd included). */
export async function readRows(path: string): Promise<Record<string, any>[]> {
  const { readTable } = await import('../../src/io/index.js');
  const table = await readTable(path);
  return table.toArray().map((row) => ({ ...row.toJSON() }));
}
