// `memsieve verdict`: read, judge, write the verdict JSON (atomically; never over an input).
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/index.js';
import { verdictFromFiles, type VerdictOptions } from './read.js';
import type { Verdict } from './verdict.js';
import { withWarnings, type Warned, withWarningsSaid } from '../stage/warnings.js';

export function writeVerdict(options: VerdictOptions): Promise<Warned<Verdict>> {
  return withWarnings(options, () => judgeFiles(options));
}

async function judgeFiles(options: VerdictOptions): Promise<Verdict> {
  const inputs = [options.before, options.after, options.removed, options.teacher, options.baseline, options.beforeDistill, options.afterDistill];
  if (inputs.some((path) => path !== undefined && resolve(path) === resolve(options.output))) {
    throw new UserError(`--output ${options.output}: is also an input; choose another file`);
  }
  if (options.maxAfter !== undefined && !(Number.isInteger(options.maxAfter) && options.maxAfter >= 0)) throw new UserError(`--max-after ${options.maxAfter}: expected a whole number >= 0`);
  if (options.minDrop !== undefined && !(options.minDrop >= 0 && options.minDrop <= 1)) throw new UserError(`--min-drop ${options.minDrop}: expected a fraction in [0, 1], e.g. 0.9 for a 90% drop`);
  const verdict = await verdictFromFiles(options);
  await writeFileAtomic(options.output, `${JSON.stringify(withWarningsSaid(verdict), null, 1)}\n`);
  return verdict;
}
