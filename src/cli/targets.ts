import type { Command } from 'commander';
import { targets, TARGETS_DEFAULTS, type TargetsCommandOptions } from '../targets/index.js';
import { addModelStageOptions, positiveInt, printSummary } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('targets')
    .description("Hard-KD targets: the teacher's greedy continuation of each row's first k tokens up to the row's length, with per-row regurgitation (leading tokens equal to the corpus) and oscillation measures; `distill --mode hard --targets` trains on them")
    .requiredOption('-i, --input <paths...>', 'corpus: Parquet, Arrow IPC or JSONL files or folders of them, read in order')
    .requiredOption('-o, --output <path>', 'output file (.parquet, .arrow, .jsonl): every input column plus the target columns; the summary goes to <output>.summary.json')
    .requiredOption('--teacher <model>', 'the teacher: ONNX file (backend onnx) or checkpoint folder (backend torch)')
    .requiredOption('--tokenizer <path>', "the models' tokenizer.json")
    .option('--max-tokens <n>', 'truncate each text to its first n tokens (as distill does)', positiveInt, TARGETS_DEFAULTS.maxTokens)
    .option('--prefix-tokens <k>', 'prompt: the first k tokens of the row', positiveInt, TARGETS_DEFAULTS.prefixTokens)
    .option('--oscillation-ngram <n>', 'n of the n-grams whose top count measures oscillation', positiveInt, TARGETS_DEFAULTS.oscillationNgram)
    .option('--oscillation-threshold <t>', 'top n-gram count above the corpus text\'s by at least t: oscillatory', positiveInt, TARGETS_DEFAULTS.oscillationThreshold);
  addModelStageOptions(command, { help: 'prompts per model call', default: TARGETS_DEFAULTS.batchSize }).action(async (options: TargetsCommandOptions) => {
    printSummary(await targets(options));
  });
}
