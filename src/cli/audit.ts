import type { Command } from 'commander';
import { AUDIT_DEFAULTS } from '../audit/audit.js';
import { audit, type AuditCommandOptions } from '../audit/run.js';
import { collect, device, format, positiveInt, positiveNumber } from './options.js';

export function register(program: Command): void {
  program
    .command('audit')
    .description('Discoverable memorization: greedy-continue each row\'s first k tokens for m tokens and compare with the row (memorized, lead, match_fraction, approx_memorized)')
    .requiredOption('-i, --input <path>', 'corpus: Parquet, Arrow IPC or JSONL file, or a folder of them (repeatable; - = stdin)', collect)
    .requiredOption('-o, --output <path>', 'output file (.parquet, .arrow, .jsonl; - = stdout); the summary goes to <output>.summary.json')
    .requiredOption('--model <model>', 'model to audit: ONNX file (backend onnx; KV-cache graphs decode faster)')
    .requiredOption('--tokenizer <path>', "the model's tokenizer.json")
    .option('--max-tokens <n>', 'truncate each text to its first n tokens', positiveInt, AUDIT_DEFAULTS.maxTokens)
    .option('--prefix-tokens <k>', 'prompt: the first k tokens of the row', positiveInt, AUDIT_DEFAULTS.prefixTokens)
    .option('--suffix-tokens <m>', 'tokens generated and compared with tokens k..k+m', positiveInt, AUDIT_DEFAULTS.suffixTokens)
    .option('--approx-threshold <s>', 'edit similarity at or above which a continuation is approx_memorized', positiveNumber, AUDIT_DEFAULTS.approxThreshold)
    .option('--keep-generations', 'also write generated_ids and generated_text')
    .option('--text-column <name>', 'column holding the text', 'text')
    .option('--id-column <name>', 'column identifying rows in messages', 'id')
    .option('--format <format>', 'input format, when the extension does not say it (parquet|arrow|jsonl)', format)
    .option('--output-format <format>', 'output format, when the extension does not say it', format)
    .option('--backend <backend>', 'onnx (onnxruntime-node) or torch (PyTorch worker, for GPUs)', 'onnx')
    .option('--device <device>', 'cpu, cuda or webgpu (default: cpu for onnx; CUDA when present for torch)', device)
    .option('--dtype <dtype>', 'torch backend weights: auto (bfloat16 on CUDA, float32 on CPU), float32, bfloat16')
    .option('--threads <n>', 'intra-op threads (onnx)', positiveInt)
    .option('--batch-size <n>', 'prefixes per model call', positiveInt, AUDIT_DEFAULTS.batchSize)
    .option('--shard-index <i>', 'process only shard i of --shard-count', Number)
    .option('--shard-count <n>', 'number of shards', positiveInt)
    .option('-q, --quiet', 'no progress output (the JSON summary is still printed)')
    .action(async (options: AuditCommandOptions) => {
      await audit(options);
    });
}
