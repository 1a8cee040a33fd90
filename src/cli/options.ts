// Option parsers shared by the commands: each names the option in its error.
import { InvalidArgumentError, type Command } from 'commander';
import { addShardOptions } from '../stage/shard.js';
import { UserError } from '../errors.js';
import { GUARDED_FIELDS, parseAllowMismatch, type GuardedField } from '../stage/provenance.js';
import { fractionOption } from '../fraction.js';
import type { Format } from '../io/types.js';
import { CHECKPOINT_SECONDS } from '../io/parquet-write.js';
import type { Device } from '../models/types.js';
import { SPECIAL_TOKEN_POLICIES, type SpecialTokenPolicy } from '../text/tokenizer.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A size in bytes: 1000000, 64MiB, 1.5GB (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024). */
export function byteSize(option: string) {
  return (value: string): number => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(value);
    const bytes = match ? Math.floor(Number(match[1]) * BYTE_UNITS[(match[2] ?? 'b').toLowerCase()]) : NaN;
    if (!Number.isSafeInteger(bytes) || bytes < 1) throw new UserError(`${option} expects a size such as 1000000, 64MiB or 1GB, got "${value}"`);
    return bytes;
  };
}

export function format(value: string): Format {
  if (value !== 'parquet' && value !== 'arrow' && value !== 'jsonl') throw new InvalidArgumentError('expected parquet, arrow or jsonl.');
  return value;
}

export function device(value: string): Device {
  if (value !== 'cpu' && value !== 'cuda' && value !== 'webgpu') throw new InvalidArgumentError('expected cpu, cuda or webgpu.');
  return value;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Options every model stage (score, audit) takes after its own: columns, formats, backend, batching, shards. */
export function addModelStageOptions(command: Command, batch: { help: string; default: number }): Command {
  command
    .option('--text-column <name>', 'column holding the text', 'text')
    .option('--id-column <name>', 'column identifying rows in messages (row index if absent)', 'id')
    .option('--format <format>', 'input format, when the extension does not say it (parquet|arrow|jsonl)', format)
    .option('--output-format <format>', 'output format, when the extension does not say it', format)
    .option('--backend <backend>', 'onnx (onnxruntime-node) or torch (PyTorch worker, for GPUs)', 'onnx')
    .option('--device <device>', 'cpu, cuda or webgpu (default: cpu for onnx; CUDA when present for torch)', device)
    .option('--dtype <dtype>', 'torch backend weights: auto (bfloat16 on CUDA, float32 on CPU), float32, bfloat16')
    .option('--threads <n>', 'intra-op threads per model (onnx)', positiveInt)
    .option('--batch-size <n>', batch.help, positiveInt, batch.default)
    .option('--checkpoint-seconds <s>', `close a checkpoint (a Parquet row group) at least this often, so a killed run reruns from at most this long ago (default ${CHECKPOINT_SECONDS}; docs/io.md)`, positiveNumber);
  return addQuiet(addShardOptions(addTokenizerThreads(addSpecialTokenOptions(command), 'default: the cores the backend leaves, less one for the main thread; at least 1')));
}

/** --tokenizer-threads, the same on every command that tokenizes a corpus. */
export function addTokenizerThreads(command: Command, defaultHelp: string): Command {
  return command.option('--tokenizer-threads <n>', `worker threads that tokenize, in parallel and off the main thread (0: on the main thread; ${defaultHelp})`, nonNegativeInt);
}

/**
 * How text becomes the ids the model sees, the same on score, audit and distill: the tokenizer's own
 * special tokens by default (as Hugging Face encodes), or raw text ids. --no-special-tokens is the short
 * form of --special-tokens none (a pipeline variable can only set the valued form).
 */
export function addSpecialTokenOptions(command: Command): Command {
  return command
    .option(
      '--special-tokens <policy>',
      "tokenizer: add the special tokens the tokenizer's post-processor puts before the text (e.g. Gemma's <bos>), as Hugging Face does; none: raw text ids",
      specialTokenPolicy,
      'tokenizer',
    )
    .option('--no-special-tokens', 'raw text ids, as Pythia-style memorization evals: --special-tokens none')
    .hook('preAction', (cmd) => {
      if (cmd.getOptionValue('specialTokens') === false) cmd.setOptionValue('specialTokens', 'none');
    });
}

function specialTokenPolicy(value: string): SpecialTokenPolicy {
  if (!(SPECIAL_TOKEN_POLICIES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected ${SPECIAL_TOKEN_POLICIES.join(' or ')}.`);
  return value as SpecialTokenPolicy;
}

/** -q/--quiet, the same on every long command: progress off; results, summaries and errors still printed. */
export function addQuiet(command: Command): Command {
  return command.option('-q, --quiet', 'no progress output (results, summaries and errors are still printed)');
}

/** A number in [0, 1]; the error names the option. */
export function probability(option: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UserError(`${option} expects a number in [0, 1], got "${value}"`);
    return n;
  };
}

/** Where the cut falls, the same on every command that applies a risk model (filter, evaluate). */
export function addThresholdOptions(command: Command): Command {
  return command
    .option('--threshold <p>', 'remove rows with risk >= p', probability('--threshold'))
    .option('--remove-top <share>', 'remove this share of the riskiest rows, e.g. 5% or 0.05', fractionOption('--remove-top'))
    .option('--target-recall <r>', "threshold reaching this recall on the model's validation ROC, e.g. 0.99 or 99%", fractionOption('--target-recall'))
    .addHelpText('after', "\nWithout --threshold, --remove-top or --target-recall the model's default threshold applies.");
}

/**
 * --allow-mismatch, the same on every command that checks its inputs' provenance against each other: filter,
 * evaluate, threshold (scores against the risk model's), train (scores against labels), compare, verdict and
 * counterfactual (audits against each other). `what` says what it allows.
 */
export function addAllowMismatch(command: Command, what = 'apply the model although the scores differ from its training scores'): Command {
  return command.option(
    '--allow-mismatch <fields>',
    `${what} in these provenance fields, comma-separated (${GUARDED_FIELDS.join(', ')}); docs/provenance.md`,
    (value: string, previous?: GuardedField[]) => parseAllowMismatch(value, previous),
  );
}

/** `usage: memsieve filter --input <files...> --scores <file> … [options]`: the required options, then where the rest are. */
export function usageLine(command: Command): string {
  const required = command.options.filter((o) => o.mandatory).map((o) => `${o.long} ${o.flags.replace(/^.*?(<[^>]+>)?$/, '$1')}`.trim());
  const args = command.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));
  return `usage: memsieve ${[command.name(), ...args, ...required, '[options]'].join(' ')}; 'memsieve ${command.name()} --help' lists every option`;
}

/** A command's JSON summary, one line on stderr (stdout may carry the data: `-o -`); the API returns it instead. */
export function printSummary(summary: object): void {
  process.stderr.write(`${JSON.stringify(summary)}\n`);
}
