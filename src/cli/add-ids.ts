import type { Command } from 'commander';
import { addIds } from '../io/add-ids.js';
import { refuseOverwrite } from '../io/no-overwrite.js';
import { withReadProgress } from '../progress.js';
import { addQuiet, format, printSummary } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('add-ids')
    .description('Write a corpus with an id column (the row number, optionally prefixed): score, audit, train and filter join by id')
    .requiredOption('-i, --input <paths...>', 'corpus: Parquet, Arrow IPC or JSONL files or folders of them, read in order')
    .requiredOption('-o, --output <path>', 'output file (.parquet, .arrow, .jsonl)')
    .option('--id-column <name>', 'name of the new column', 'id')
    .option('--prefix <text>', 'put before each row number, e.g. web- gives web-0, web-1, …', '')
    .option('--format <format>', 'input format, when the extension does not say it (parquet|arrow|jsonl)', format)
    .option('--output-format <format>', 'output format, when the extension does not say it', format);
  addQuiet(command).action(async (options) => {
      await refuseOverwrite({ '--output': options.output }, { '--input': options.input });
      const result = await withReadProgress('add-ids', options.quiet, () => addIds({ ...options, inputFormat: options.format }));
      printSummary(result);
    });
}
