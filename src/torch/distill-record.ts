// The last epoch of a `memsieve distill` run, read from its distill.json: where a memorization drop or
// rate is reported (verdict, compare --distill), the student's validation loss goes beside it.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';

/** The last epoch of a `memsieve distill` run (its distill.json). */
export interface DistillRecord {
  path: string;
  mode: string | null;
  epochs: number;
  train_loss: number;
  val_loss: number;
  val_ppl: number;
}

/** The file a distill run's record is read from: its output folder's distill.json, or the file given. */
export function distillRecordFile(path: string): string {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ? join(path, 'distill.json') : path;
}

/** The last epoch of a distill run: its output folder or its distill.json; it must have a validation loss. */
export async function readDistillRecord(flag: string, path: string): Promise<DistillRecord> {
  const file = distillRecordFile(path);
  let raw: { mode?: string; history?: Array<{ epoch: number; train_loss: number; val_loss?: number; val_ppl?: number }> };
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${flag} ${path}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give a \`memsieve distill\` output folder`);
  }
  const last = Array.isArray(raw.history) ? raw.history[raw.history.length - 1] : undefined;
  if (!last) throw new UserError(`${flag} ${path}: ${file} has no epochs; is it a \`memsieve distill\` output?`);
  if (typeof last.val_loss !== 'number') throw new UserError(`${flag} ${path}: this student was distilled without --validation, so it has no validation loss; distill with --validation, or leave ${flag} out`);
  return { path, mode: raw.mode ?? null, epochs: last.epoch, train_loss: last.train_loss, val_loss: last.val_loss, val_ppl: last.val_ppl ?? Math.exp(last.val_loss) };
}
