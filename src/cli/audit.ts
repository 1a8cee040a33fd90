import type { Command } from 'commander';
import { refuseOverwrite } from '../io/no-overwrite.js';
import { AUDIT_DEFAULTS, summaryPath } from '../audit/audit.js';
import { audit, type AuditCommandOptions } from '../audit/run.js';
import { DEFAULT_OSCILLATION_NGRAM, DEFAULT_OSCILLATION_THRESHOLD } from '../audit/hallucination.js';
import { fractionOption } from '../fraction.js';
import { addModelStageOptions, positiveInt, printSummary } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('audit')
    .description('Discoverable memorization: would greedy continuation of each row\'s first k tokens for m tokens reproduce the row? (memorized, lead; with --approximate also match_fraction, approx_memorized)')
    .requiredOption('-i, --input <paths...>', 'corpus: Parquet, Arrow IPC or JSONL files or folders of them, read in order (-i a.parquet b.parquet, or -i repeated; - = stdin)')
    .requiredOption('-o, --output <path>', 'output file (.parquet, .arrow, .jsonl; - = stdout); the summary goes to <output>.summary.json')
    .requiredOption('--model <model>', 'model to audit: ONNX file (backend onnx; KV-cache graphs decode faster) or Hugging Face checkpoint folder (backend torch)')
    .requiredOption('--tokenizer <path>', "the model's tokenizer.json")
    .option('--max-tokens <n>', 'truncate each text to its first n tokens', positiveInt, AUDIT_DEFAULTS.maxTokens)
    .option('--prefix-tokens <k>', 'prompt: the first k tokens of the row', positiveInt, AUDIT_DEFAULTS.prefixTokens)
    .option('--suffix-tokens <m>', 'tokens generated and compared with tokens k..k+m', positiveInt, AUDIT_DEFAULTS.suffixTokens)
    .option('--method <method>', 'one-pass: memorized and lead from one teacher-forced forward pass; greedy: decode every row in full (cross-check; writes every measure)', AUDIT_DEFAULTS.method)
    .option('--approximate', 'also decode past the first miss: match_fraction and approx_memorized (decoding starts at the miss)')
    .option('--approx-threshold <s>', 'edit similarity at or above which a continuation is approx_memorized, e.g. 0.9 or 90%', fractionOption('--approx-threshold'), AUDIT_DEFAULTS.approxThreshold)
    .option('--keep-generations', 'also write generated_ids and generated_text (implies --approximate)')
    .option('--oscillation', 'also the hallucination measures of each decoded continuation: top_ngram_count, reference_top_ngram_count, oscillatory, loop_share (implies --approximate; docs/audit.md)')
    .option('--oscillation-ngram <n>', 'n of the n-grams whose top count measures oscillation', positiveInt, DEFAULT_OSCILLATION_NGRAM)
    .option('--oscillation-threshold <t>', "top n-gram count above the reference suffix's by at least t: oscillatory", positiveInt, DEFAULT_OSCILLATION_THRESHOLD);
  addModelStageOptions(command, { help: 'prefixes per model call', default: AUDIT_DEFAULTS.batchSize }).action(async (options: AuditCommandOptions) => {
    const outputs = { '--output': options.output === '-' ? [] : [options.output, summaryPath(options.output)] };
    await refuseOverwrite(outputs, { '--input': options.input, '--model': options.model, '--tokenizer': options.tokenizer });
    printSummary(await audit(options));
  });
}
