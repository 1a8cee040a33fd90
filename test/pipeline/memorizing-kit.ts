// The CPU stand-in for the kit that pipeline tests share: a corpus where some kit texts repeat, and a tiny
// teacher trained with cross-entropy until it memorizes it (as the kit's teacher did), plus a baseline config.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Int64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { expect } from 'vitest';
import { openWriter } from '../../src/io/index.js';
import { kitCorpus, kitFile } from '../helpers/kit.js';
import { runPython } from '../torch/helpers.js';
import { CLI, ROOT } from './build.js';

export interface CorpusRow {
  id: string;
  text: string;
  copies: number;
}

/** `repeated` unique kit texts `copies` times each (ids rep<g>-<c>), then the next `unique` texts once; the kit texts after those are returned as `spare`. */
export async function repeatedCorpus(repeated: number, copies: number, unique: number): Promise<{ rows: CorpusRow[]; spare: CorpusRow[] }> {
  const uniques = (await kitCorpus()).filter((r) => Number(r.copies) === 1);
  const rows: CorpusRow[] = [];
  for (let g = 0; g < repeated; g++) for (let c = 0; c < copies; c++) rows.push({ id: `rep${g}-${c}`, text: uniques[g].text as string, copies });
  for (const r of uniques.slice(repeated, repeated + unique)) rows.push({ id: r.id as string, text: r.text as string, copies: 1 });
  const spare = uniques.slice(repeated + unique).map((r) => ({ id: r.id as string, text: r.text as string, copies: 1 }));
  return { rows, spare };
}

export async function writeRows(path: string, rows: CorpusRow[], groupRows: number): Promise<void> {
  const writer = await openWriter(path, { rowGroupRows: groupRows });
  await writer.write(new Table({
    id: vectorFromArray(rows.map((r) => r.id), new Utf8()),
    text: vectorFromArray(rows.map((r) => r.text), new Utf8()),
    copies: vectorFromArray(rows.map((r) => BigInt(r.copies)), new Int64()),
  }));
  await writer.close();
}

/** `dir`/teacher (2 layers, trained 25 epochs on `corpus` at 24 tokens) and `dir`/baseline (1 layer, untrained). */
export function makeMemorizingTeacher(dir: string, corpus: string): void {
  for (const [name, layers, hidden, seed] of [['teacher-init', 2, 64, 1], ['baseline', 1, 32, 2]] as const) {
    const made = runPython(['-m', 'memsieve_torch.tiny', '--out', join(dir, name), '--layers', String(layers), '--hidden', String(hidden), '--seed', String(seed)]);
    expect(made.status, made.stderr).toBe(0);
  }
  const trained = spawnSync(process.execPath, [CLI, 'distill', '--mode', 'ce', '--student-config', join(dir, 'teacher-init'), '-i', corpus,
    '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '24', '--out', join(dir, 'teacher'), '--epochs', '25', '--lr', '1e-2', '--batch-size', '64',
    '--device', 'cpu', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  expect(trained.status, trained.stderr).toBe(0);
}
