import type { Command } from 'commander';
import { counterfactualFiles, type CounterfactualOptions } from '../audit/counterfactual-files.js';
import { withReadProgress } from '../progress.js';
import { addAllowMismatch, addQuiet, collect, printSummary } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('counterfactual')
    .description('Counterfactual memorization (Zhang et al. 2021): per row, the mean measure of the models trained on it minus that of the models not trained on it, from K audits and K training sets (pipelines/counterfactual.yaml)')
    .requiredOption('--audit <name=path[:column]>', 'the audit of one model over the whole corpus (repeatable, one per model)', collect)
    .requiredOption('--trained-on <name=path>', 'the data that model was trained on, e.g. its `sample --fraction 0.5` half (repeatable, paired with --audit by name)', collect)
    .requiredOption('-o, --output <file>', 'per row: id, counterfactual, measure_in, measure_out, in_models, out_models; the summary goes to <output>.summary.json')
    .option('--measure <column>', 'audit column measured: memorized (true = 1) or match_fraction (audits run with --approximate)', 'memorized')
    .option('--id-column <name>', 'column joining audits and training sets', 'id');
  addAllowMismatch(command, 'combine the audits although they were made differently');
  addQuiet(command).action(async (options: Omit<CounterfactualOptions, 'audits'> & { audit: string[]; quiet?: boolean }) => {
    const cf: CounterfactualOptions = { audits: options.audit, trainedOn: options.trainedOn, output: options.output, measure: options.measure, idColumn: options.idColumn, allowMismatch: options.allowMismatch };
    printSummary(await withReadProgress('counterfactual', options.quiet, () => counterfactualFiles(cf)));
  });
}
