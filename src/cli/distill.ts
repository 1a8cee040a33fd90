import type { Command } from 'commander';
import { describeDistillEvent, distill, type DistillOptions } from '../torch/index.js';
import { ADAPT_DEFAULTS, hardOutputs } from '../torch/hard.js';
import { addQuiet, addSpecialTokenOptions, addTokenizerThreads, positiveInt, positiveNumber, nonNegativeInt } from './options.js';
import { refuseOverwrite } from '../io/no-overwrite.js';

interface DistillCommandOptions extends Omit<DistillOptions, 'data' | 'validation' | 'adaptOn'> {
  data?: string[];
  validation?: string[];
  adaptOn?: string[];
  quiet?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('distill')
    .description('Distill a student with PyTorch: soft (forward KL at temperature T, ×T²), hard (sequence-level KD on teacher greedy continuations) or ce (plain cross-entropy)')
    .requiredOption('--mode <mode>', 'soft, hard or ce')
    .option('-i, --data <paths...>', 'training data: Parquet, Arrow IPC or JSONL files with a text column, read in order (hard KD: the rows the teacher continues)')
    .requiredOption('--tokenizer <path>', "the models' tokenizer.json")
    .requiredOption('-o, --out <dir>', 'output checkpoint folder (Hugging Face: config.json + model.safetensors)')
    .option('--teacher <dir>', 'teacher checkpoint folder (soft and hard)')
    .option('--student <dir>', 'initialize the student from this checkpoint folder')
    .option('--student-config <path>', 'or: random initialization from this config (checkpoint folder or config.json), seeded by --seed')
    .option('--validation <paths...>', 'held-out data: validation loss and perplexity after each epoch')
    .option('--text-column <name>', 'column holding the text', 'text')
    .option('--max-tokens <n>', 'truncate each text to its first n tokens', positiveInt, 128)
    .option('--epochs <n>', 'passes over the data', positiveInt, 1)
    .option('--lr <x>', 'peak learning rate (AdamW)', positiveNumber, 5e-5)
    .option('--min-lr <x>', 'learning rate at the end of the cosine decay', Number, 0)
    .option('--schedule <s>', 'cosine or constant (after warm-up)', 'cosine')
    .option('--warmup-steps <n>', 'linear warm-up optimizer steps', nonNegativeInt, 0)
    .option('--batch-size <n>', 'rows per optimizer step', positiveInt, 32)
    .option('--grad-accum <n>', 'micro-batches per optimizer step (divides --batch-size)', positiveInt, 1)
    .option('--weight-decay <x>', 'AdamW weight decay', Number, 0)
    .option('--grad-clip <x>', 'gradient norm clip (0 = off)', Number, 1)
    .option('--temperature <t>', 'soft KD temperature T', positiveNumber, 2)
    .option('--prefix-tokens <k>', 'hard KD: prefix length the teacher continues', positiveInt, 50)
    .option('--hard-data-out <file>', "hard KD: also save the teacher's sequences as a token file")
    .option('--targets <file>', 'hard KD: train on this targets file (memsieve targets, or filter --rule on one) instead of --data; without it the teacher writes OUT.targets.parquet')
    .option('--adapt-on <paths...>', 'hard KD, Adaptive-SeqKD: fine-tune a copy of the teacher on this high-quality subset before it writes the targets (saved as OUT.adapted-teacher/)')
    .option('--adapt-steps <n>', 'Adaptive-SeqKD: optimizer steps of the fine-tune', positiveInt, ADAPT_DEFAULTS.adaptSteps)
    .option('--adapt-lr <x>', 'Adaptive-SeqKD: learning rate of the fine-tune (constant)', positiveNumber, ADAPT_DEFAULTS.adaptLr)
    .option('--bf16', 'bfloat16 autocast (CUDA only)')
    .option('--seed <n>', 'seed of initialization and data order', nonNegativeInt, 0)
    .option('--device <device>', 'auto, cpu, cuda or cuda:N', 'auto')
    .option('--log-every <n>', 'optimizer steps between progress lines', positiveInt, 10)
    .option('--checkpoint-epochs <n>', 'save a resume point (OUT.resume/) every n epochs; a rerun continues from it (0: never)', nonNegativeInt, 1);
  addQuiet(addTokenizerThreads(addSpecialTokenOptions(command), "default: every core but the main thread's")).action(async (options: DistillCommandOptions) => {
      const hard = options.mode === 'hard' ? hardOutputs(options.out) : undefined;
      await refuseOverwrite(
        {
          '--out': options.out,
          '--hard-data-out': options.hardDataOut,
          ...(hard && !options.targets ? { '--out (targets)': [hard.targets, hard.targetsSummary] } : {}),
          ...(hard && options.adaptOn ? { '--out (adapted teacher)': hard.adaptedTeacher } : {}),
        },
        {
          '--data': options.data, '--validation': options.validation, '--tokenizer': options.tokenizer, '--teacher': options.teacher, '--student': options.student,
          '--student-config': options.studentConfig, '--targets': options.targets, '--adapt-on': options.adaptOn,
        },
      );
      const result = await distill(options, (event) => {
        const line = options.quiet ? null : describeDistillEvent(event);
        if (line) process.stderr.write(`distill: ${line}\n`);
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
