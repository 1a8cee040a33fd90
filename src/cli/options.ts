// Option parsers shared by the commands: each names the option in its error.
import { InvalidArgumentError, type Command } from 'commander';
import { addShardOptions } from '../stage/shard.js';
import { UserError } from '../errors.js';
import { parseFraction } from '../filter/threshold.js';
import { GUARDED_FIELDS, parseAllowMismatch, type GuardedField } from '../stage/provenance.js';
import type { Format } from '../io/types.js';
import type { Device } from '../models/types.js';

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

/** A share in (0, 1]. */
export function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('expected a number in (0, 1].');
  return n;
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
    .option('--add-special-tokens', "encode with the tokenizer's special tokens (e.g. Llama's BOS); off as in the paper")
    .option('--id-column <name>', 'column identifying rows in messages (row index if absent)', 'id')
    .option('--format <format>', 'input format, when the extension does not say it (parquet|arrow|jsonl)', format)
    .option('--output-format <format>', 'output format, when the extension does not say it', format)
    .option('--backend <backend>', 'onnx (onnxruntime-node) or torch (PyTorch worker, for GPUs)', 'onnx')
    .option('--device <device>', 'cpu, cuda or webgpu (default: cpu for onnx; CUDA when present for torch)', device)
    .option('--dtype <dtype>', 'torch backend weights: auto (bfloat16 on CUDA, float32 on CPU), float32, bfloat16')
    .option('--threads <n>', 'intra-op threads per model (onnx)', positiveInt)
    .option('--batch-size <n>', batch.help, positiveInt, batch.default);
  return addQuiet(addShardOptions(command));
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
    .option('--remove-top <share>', 'remove this share of the riskiest rows, e.g. 5% or 0.05', (v: string) => parseFraction(v, '--remove-top'))
    .option('--target-recall <r>', "threshold reaching this recall on the model's validation ROC", probability('--target-recall'))
    .addHelpText('after', "\nWithout --threshold, --remove-top or --target-recall the model's default threshold applies.");
}

/** --allow-mismatch, the same on every command that checks scores against a risk model (filter, evaluate, threshold). */
export function addAllowMismatch(command: Command): Command {
  return command.option(
    '--allow-mismatch <fields>',
    `apply the model although the scores differ from its training scores in these provenance fields, comma-separated (${GUARDED_FIELDS.join(', ')}); docs/provenance.md`,
    (value: string, previous?: GuardedField[]) => parseAllowMismatch(value, previous),
  );
}
