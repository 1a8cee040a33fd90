import type { Command } from 'commander';
import { mergeShards } from '../pipeline/merge.js';
import { refuseOverwrite } from '../io/no-overwrite.js';
import { withReadProgress } from '../progress.js';
import { addQuiet, positiveInt } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('merge')
    .description('Join the parts of a sharded score, audit or filter run (OUTPUT.parts/) into OUTPUT, row for row as one process would write it')
    .argument('<output>', "the stage's (first) output as given to it: --output for score/audit, --clean for filter")
    .option('--shard-count <n>', 'shards expected (default: from the part names); missing ones are listed', positiveInt)
    .option('--keep-parts', 'keep OUTPUT.parts/ after merging', false);
  addQuiet(command).action(async (output: string, options: { shardCount?: number; keepParts: boolean; quiet?: boolean }) => {
      await refuseOverwrite({ output }, { parts: `${output}.parts` }); // OUTPUT may not be a link into its own parts
      const result = await withReadProgress('merge', options.quiet, () => mergeShards(output, { count: options.shardCount, keepParts: options.keepParts }));
      process.stderr.write(`${JSON.stringify(result)}\n`);
    });
}
