// `memsieve verdict`: read, judge, write the verdict JSON (atomically; never over an input: refuseOverwrite, before anything is read).
import { splitLabelColumn } from '../audit/compare.js';
import { UserError } from '../errors.js';
import { refuseOverwrite, writeFileAtomic } from '../io/index.js';
import { distillRecordFile } from '../torch/distill-record.js';
import { verdictFromFiles, type VerdictOptions } from './read.js';
import type { Verdict } from './verdict.js';
import { withWarnings, type Warned, withWarningsSaid } from '../stage/warnings.js';

export function writeVerdict(options: VerdictOptions): Promise<Warned<Verdict>> {
  return withWarnings(options, () => judgeFiles(options));
}

async function judgeFiles(options: VerdictOptions): Promise<Verdict> {
  const labelColumn = options.labelColumn ?? 'memorized';
  await refuseOverwrite(
    { '--output': options.output },
    {
      // the files read: `--before a.parquet:COLUMN` reads a.parquet, `--before-distill DIR` its distill.json
      '--before': splitLabelColumn(options.before, labelColumn).path,
      '--after': splitLabelColumn(options.after, labelColumn).path,
      '--removed': options.removed, '--teacher': options.teacher, '--baseline': options.baseline, '--by-file': options.byFile,
      '--before-distill': options.beforeDistill === undefined ? undefined : distillRecordFile(options.beforeDistill),
      '--after-distill': options.afterDistill === undefined ? undefined : distillRecordFile(options.afterDistill),
    },
  );
  if (options.maxAfter !== undefined && !(Number.isInteger(options.maxAfter) && options.maxAfter >= 0)) throw new UserError(`--max-after ${options.maxAfter}: expected a whole number >= 0`);
  if (options.minDrop !== undefined && !(options.minDrop >= 0 && options.minDrop <= 1)) throw new UserError(`--min-drop ${options.minDrop}: expected a fraction in [0, 1], e.g. 0.9 for a 90% drop`);
  const verdict = await verdictFromFiles(options);
  await writeFileAtomic(options.output, `${JSON.stringify(withWarningsSaid(verdict), null, 1)}\n`);
  return verdict;
}
