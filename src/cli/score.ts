import type { Command } from 'commander';
import { refuseOverwrite } from '../io/no-overwrite.js';
import { score, type ScoreCommandOptions } from '../score/run.js';
import { SCORE_DEFAULTS } from '../score/score.js';
import { fractionOption } from '../fraction.js';
import { addModelStageOptions, positiveInt, positiveNumber, printSummary } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('score')
    .description('Per-example memorization-risk features: teacher/baseline perplexity, teacher–baseline KL, zlib entropy, suffix entropy and log-probability, teacher-forced memorization, Min-K%, Min-K%++, zlib ratio')
    .requiredOption('-i, --input <paths...>', 'corpus: Parquet, Arrow IPC or JSONL files or folders of them, read in order (-i a.parquet b.parquet, or -i repeated; - = stdin)')
    .requiredOption('-o, --output <path>', 'output file (.parquet, .arrow, .jsonl; - = stdout as Arrow IPC stream or JSONL)')
    .requiredOption('--teacher <model>', 'teacher model: ONNX file (backend onnx) or Hugging Face checkpoint folder (backend torch)')
    .requiredOption('--baseline <model>', 'baseline model, same vocabulary as the teacher')
    .requiredOption('--tokenizer <path>', "the models' tokenizer.json")
    .option('--max-tokens <n>', 'truncate each text to its first n tokens', positiveInt, SCORE_DEFAULTS.maxTokens)
    .option('--temperature <t>', 'temperature of the teacher–baseline KL', positiveNumber, SCORE_DEFAULTS.temperature)
    .option('--prefix-tokens <k>', 'prefix length of the suffix window', positiveInt, SCORE_DEFAULTS.prefixTokens)
    .option('--suffix-tokens <m>', 'suffix length of the suffix window', positiveInt, SCORE_DEFAULTS.suffixTokens)
    .option('--min-k <k>', 'Min-K% and Min-K%++: share of lowest-probability positions averaged, e.g. 0.2 or 20%', fractionOption('--min-k'), SCORE_DEFAULTS.minK);
  addModelStageOptions(command, { help: 'rows per model call', default: SCORE_DEFAULTS.batchSize }).action(async (options: ScoreCommandOptions) => {
    await refuseOverwrite({ '--output': options.output }, { '--input': options.input, '--teacher': options.teacher, '--baseline': options.baseline, '--tokenizer': options.tokenizer });
    printSummary(await score(options));
  });
}
