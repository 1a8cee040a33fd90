import type { Command } from 'commander';
import { computeThreshold } from '../filter/threshold-file.js';
import { fractionOption } from '../fraction.js';
import { addShardOptions, resolveShard } from '../stage/shard.js';
import { withReadProgress } from '../progress.js';
import { addAllowMismatch, addQuiet } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('threshold')
    .description('The corpus-wide --remove-top risk threshold for sharded filter runs (filter --threshold-from); in shards, join with `memsieve merge`')
    .requiredOption('--scores <file>', 'scores file from `memsieve score`')
    .requiredOption('--model <file>', 'risk model from `memsieve train` (risk.json)')
    .requiredOption('--remove-top <share>', 'remove this share of the riskiest rows, e.g. 5% or 0.05', fractionOption('--remove-top'))
    .requiredOption('--output <file>', 'threshold.json to write')
    .option('--id-column <name>', 'id column in the scores', 'id');
  addQuiet(addShardOptions(addAllowMismatch(command))).action(async (options) => {
    const result = await withReadProgress('threshold', options.quiet, () => computeThreshold({
      scores: options.scores,
      model: options.model,
      removeTop: options.removeTop,
      output: options.output,
      idColumn: options.idColumn,
      shard: resolveShard(options),
      allowMismatch: options.allowMismatch,
    }));
    if ('value' in result) process.stdout.write(`remove rows with risk >= ${result.value} (the ${result.k}-th largest of ${result.scored} scored rows)\n`);
    else process.stdout.write(`shard ${result.rank.index}/${result.rank.count}: ${result.scored} scored rows sorted; join the shards with 'memsieve merge ${options.output}'\n`);
  });
}
