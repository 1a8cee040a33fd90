import type { Command } from 'commander';
import { fractionOption } from '../fraction.js';
import { sampleCorpus } from '../sample/index.js';
import { refuseOverwrite } from '../io/no-overwrite.js';
import { format, nonNegativeInt, positiveInt, printSummary } from './options.js';

export function register(program: Command): void {
  program
    .command('sample')
    .description('Write a deterministic subset of a corpus (e.g. a pilot set), chosen by a hash of (seed, id): the same rows whatever the file order or sharding')
    .requiredOption('-i, --input <paths...>', 'corpus: Parquet, Arrow IPC or JSONL files or folders of them, read in order')
    .requiredOption('-o, --output <path>', 'output file (.parquet, .arrow, .jsonl): every column, rows in input order')
    .option('--fraction <f>', 'keep each row with probability f, e.g. 0.1 or 10% (one pass, constant memory)', fractionOption('--fraction'))
    .option('--rows <n>', 'keep the n rows with the smallest hashes (two passes; memory: n keys)', positiveInt)
    .option('--seed <n>', 'another seed gives another, independent sample', nonNegativeInt, 0)
    .option('--id-column <name>', 'column identifying rows: the value hashed', 'id')
    .option('--key-column <name>', 'hash this column instead (e.g. text), so rows sharing a value go in or out together')
    .option('--format <format>', 'input format, when the extension does not say it (parquet|arrow|jsonl)', format)
    .option('--output-format <format>', 'output format, when the extension does not say it', format)
    .option('-q, --quiet', 'no progress output (the JSON summary is still printed)')
    .action(async (options) => {
      await refuseOverwrite({ '--output': options.output }, { '--input': options.input });
      printSummary(await sampleCorpus({ ...options, inputFormat: options.format }));
    });
}
