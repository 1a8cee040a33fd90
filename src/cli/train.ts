import type { Command } from 'commander';
import { DEFAULT_FEATURES, summarizeRiskModel, trainRiskModel, writeRiskModel } from '../risk/train.js';
import { UserError } from '../errors.js';
import { checkOutputFolder, refuseOverwrite } from '../io/index.js';
import { withReadProgress } from '../progress.js';
import { fractionOption } from '../fraction.js';
import { addAllowMismatch, addQuiet } from './options.js';

function number(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new UserError(`${name} expects a number, got "${value}"`);
    return n;
  };
}

export function register(program: Command): void {
  const command = program
    .command('train')
    .description('Fit the memorization risk classifier (logistic regression) on scores joined with audit labels; write risk.json')
    .requiredOption('--scores <file>', 'scores file from `memsieve score` (id and feature columns)')
    .requiredOption('--labels <file>', 'labels file, e.g. from `memsieve audit` (id and label columns)')
    .requiredOption('--output <file>', 'risk model to write (risk.json)')
    .option('--label-column <name>', 'label column: true/1 = memorized', 'memorized')
    .option('--id-column <name>', 'id column joining scores and labels', 'id')
    .option('--features <list>', 'comma-separated feature columns', DEFAULT_FEATURES.join(','))
    .option('--negatives-per-positive <r>', 'non-memorized rows sampled per memorized row', number('--negatives-per-positive'), 3)
    .option('--test-fraction <f>', 'share of each trial held out for evaluation, e.g. 0.3 or 30%', fractionOption('--test-fraction', { one: false }), 0.3)
    .option('--trials <n>', 'evaluation trials', number('--trials'), 100)
    .option('--seed <n>', 'random seed for sampling and splits', number('--seed'), 0);
  addAllowMismatch(command, 'train although the scores and labels were made differently');
  addQuiet(command).action(async (options) => {
      await refuseOverwrite({ '--output': options.output }, { '--scores': options.scores, '--labels': options.labels });
      await checkOutputFolder(options.output); // fail before the work, not after
      const model = await withReadProgress('train', options.quiet, () => trainRiskModel({
        scores: options.scores,
        labels: options.labels,
        labelColumn: options.labelColumn,
        idColumn: options.idColumn,
        features: String(options.features)
          .split(',')
          .map((s: string) => s.trim())
          .filter((s: string) => s !== ''),
        negativesPerPositive: options.negativesPerPositive,
        testFraction: options.testFraction,
        trials: options.trials,
        seed: options.seed,
        allowMismatch: options.allowMismatch,
      }));
      await writeRiskModel(options.output, model);
      process.stdout.write(summarizeRiskModel(model, options.output));
    });
}
