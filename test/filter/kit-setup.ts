// Inputs of the filter tests, made from the kit as a user would: scores with the four features
// derived from golden.parquet (kit README definitions), labels mem_student, and a risk.json from train.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteFile } from 'hyparquet-writer';
import { trainRiskModel, writeRiskModel } from '../../src/risk/train.js';
import { kitCorpus, kitFile, kitGolden, tempDir } from '../helpers/kit.js';

export const FEATURES = ['teacher_ppl', 'baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy'] as const;

export interface KitInputs {
  dir: string;
  corpus: string;
  scores: string;
  model: string;
  ids: string[];
  /** the kit's mem_student flag by row */
  memStudent: boolean[];
  features: Record<(typeof FEATURES)[number], number[]>;
  corpusRows: Record<string, any>[];
}

/** Writes a scores file with the given rows (indices into the kit) in that order; n_tokens only when given. */
export function writeScores(path: string, inputs: Pick<KitInputs, 'ids' | 'features'>, order: number[], override: Partial<Record<string, (number | null)[]>> = {}): void {
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'id', data: order.map((i) => inputs.ids[i]), type: 'STRING' },
      ...(override.n_tokens ? [{ name: 'n_tokens', data: override.n_tokens, type: 'INT32' as const }] : []),
      ...FEATURES.map((name) => ({ name, data: override[name] ?? order.map((i) => inputs.features[name][i]), type: 'DOUBLE' as const })),
    ],
  });
}

export async function makeKitInputs(): Promise<KitInputs> {
  const [corpusRows, golden] = await Promise.all([kitCorpus(), kitGolden()]);
  const ids = corpusRows.map((r) => String(r.id));
  const features = {
    teacher_ppl: golden.map((r) => Math.exp(r.nll_teacher)),
    baseline_ppl: golden.map((r) => Math.exp(r.nll_baseline)),
    kl_teacher_baseline: golden.map((r) => Number(r.kl_tb_T1)),
    zlib_entropy: golden.map((r) => (8 * Number(r.zlib_bytes)) / Number(r.n_tokens)),
  };
  const memStudent = golden.map((r) => Boolean(r.mem_student));
  const dir = tempDir('memsieve-filter-');
  const scores = join(dir, 'scores.parquet');
  // scores in reverse corpus order: filter must join by id, not by position
  writeScores(scores, { ids, features }, ids.map((_, i) => ids.length - 1 - i));
  const labels = join(dir, 'labels.parquet');
  parquetWriteFile({
    filename: labels,
    columnData: [
      { name: 'id', data: ids, type: 'STRING' },
      { name: 'mem_student', data: memStudent, type: 'BOOLEAN' },
    ],
  });
  const model = join(dir, 'risk.json');
  await writeRiskModel(model, await trainRiskModel({ scores, labels, labelColumn: 'mem_student', trials: 5 }));
  return { dir, corpus: kitFile('corpus.parquet'), scores, model, ids, memStudent, features, corpusRows };
}

/** All rows of a Parquet file (memsieve writes zstd) by hyparquet, an independent reader. */
export async function readParquetRows(path: string): Promise<Record<string, any>[]> {
  const bytes = readFileSync(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  return (await parquetReadObjects({ file, compressors })) as Record<string, any>[];
}
