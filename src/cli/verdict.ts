import type { Command } from 'commander';
import { fractionOption } from '../fraction.js';
import { describeVerdict, VERDICT_FAILED_EXIT_CODE, writeVerdict } from '../verdict/index.js';
import { withReadProgress } from '../progress.js';
import { addAllowMismatch, addQuiet, nonNegativeInt } from './options.js';
import { checkGroupOptions } from '../audit/compare.js';

export function register(program: Command): void {
  const command = program
    .command('verdict')
    .description(`The memorization drop between two students' audits as a verdict: before/after counts, where rows still memorized lie, validation loss beside it; exit ${VERDICT_FAILED_EXIT_CODE} when a criterion is not met`)
    .requiredOption('--before <audit>', 'audit of the student before filtering (distilled on the whole corpus, or the pilot student)')
    .requiredOption('--after <audit>', 'audit of the student distilled on D_clean')
    .requiredOption('-o, --output <file>', 'the verdict (JSON)')
    .option('--removed <path>', "the filter's --report folder or --removed file: are rows still memorized in D_clean or among the removed?")
    .option('--teacher <file>', "teacher audit, or a score file with teacher_memorized: count teacher-only rows inherited (with --baseline)")
    .option('--baseline <file>', 'baseline audit, or a score file with baseline_memorized')
    .option('--before-distill <dir>', "the before student's distill output folder (or its distill.json): its validation loss")
    .option('--after-distill <dir>', "the after student's distill output folder (or its distill.json)")
    .option('--max-after <n>', 'criterion: the after student memorizes at most n rows', nonNegativeInt)
    .option('--min-drop <f>', 'criterion: memorized rows drop by at least this fraction of the before count, e.g. 0.9 or 90%', fractionOption('--min-drop', { zero: true }))
    .option('--id-column <name>', 'column joining the audits', 'id')
    .option('--label-column <name>', 'memorization label column of --before and --after', 'memorized')
    .option('--by <column>', 'also the drop per subgroup of rows by this column (e.g. copies), read by id from --before or --by-file')
    .option('--by-file <file>', 'the file holding the --by column and the id column (default: --before)')
    .option('--bins <spec>', 'how --by groups: auto (categorical up to 12 distinct numbers, else quantile:4), categorical, quantile:N, or rising edges 1,2,4,8,17');
  // --quiet means what it means everywhere (no progress); the verdict is the result, always printed
  addAllowMismatch(command, 'judge the drop although the audits were made differently');
  addQuiet(command).action(async (options) => {
    checkGroupOptions(options);
    const verdict = await withReadProgress('verdict', options.quiet, () => writeVerdict(options));
    const text = describeVerdict(verdict);
    process.stdout.write(text);
    if (!verdict.passed) process.exitCode = VERDICT_FAILED_EXIT_CODE;
  });
}
