import type { Command } from 'commander';
import { score, type ScoreCommandOptions } from '../score/run.js';
import { SCORE_DEFAULTS } from '../score/score.js';
import { collect, device, format, positiveInt, positiveNumber } from './options.js';

export function register(program: Command): void {
  program
    .command('score')
    .description('Per-example memorization-risk features: teacher/baseline perplexity, teacher–baseline KL, zlib entropy, suffix entropy and log-probability')
    .requiredOption('-i, --input <path>', 'corpus: Parquet, Arrow IPC or JSONL file, or a folder of them (repeatable; - = stdin)', collect)
    .requiredOption('-o, --output <path>', 'output file (.parquet, .arrow, .jsonl; - = stdout as Arrow IPC stream or JSONL)')
    .requiredOption('--teacher <model>', 'teacher model: ONNX file (backend onnx) or Hugging Face checkpoint folder (backend torch)')
    .requiredOption('--baseline <model>', 'baseline model, same vocabulary as the teacher')
    .requiredOption('--tokenizer <path>', "the models' tokenizer.json")
    .option('--max-tokens <n>', 'truncate each text to its first n tokens', positiveInt, SCORE_DEFAULTS.maxTokens)
    .option('--temperature <t>', 'temperature of the teacher–baseline KL', positiveNumber, SCORE_DEFAULTS.temperature)
    .option('--prefix-tokens <k>', 'prefix length of the suffix window', positiveInt, SCORE_DEFAULTS.prefixTokens)
    .option('--suffix-tokens <m>', 'suffix length of the suffix window', positiveInt, SCORE_DEFAULTS.suffixTokens)
    .option('--text-column <name>', 'column holding the text', 'text')
    .option('--id-column <name>', 'column identifying rows (row index if absent)', 'id')
    .option('--format <format>', 'input format, when the extension does not say it (parquet|arrow|jsonl)', format)
    .option('--output-format <format>', 'output format, when the extension does not say it', format)
    .option('--backend <backend>', 'onnx (onnxruntime-node) or torch (PyTorch worker, for GPUs)', 'onnx')
    .option('--device <device>', 'cpu, cuda or webgpu (default: cpu for onnx; CUDA when present for torch)', device)
    .option('--dtype <dtype>', 'torch backend weights: auto (bfloat16 on CUDA, float32 on CPU), float32, bfloat16')
    .option('--threads <n>', 'intra-op threads per model (onnx)', positiveInt)
    .option('--batch-size <n>', 'rows per model call', positiveInt, SCORE_DEFAULTS.batchSize)
    .option('--shard-index <i>', 'process only shard i of --shard-count (default: SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX)', Number)
    .option('--shard-count <n>', 'number of shards', positiveInt)
    .option('-q, --quiet', 'no progress output (the JSON summary is still printed)')
    .action(async (options: ScoreCommandOptions) => {
      await score(options);
    });
}
