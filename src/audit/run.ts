// The audit command as the CLI and the pipeline runner call it: load tokenizer and backend (lazily,
// only here), then stream the corpus through auditCorpus.
import { withDefaults } from '../defaults.js';
import { availableParallelism } from 'node:os';
import { UserError } from '../errors.js';
import type { Format } from '../io/types.js';
import type { Device, Generator } from '../models/types.js';
import { loadTokenizer } from '../text/tokenizer.js';
import { preparePart, resolveShard, writeShardMarker } from '../pipeline/shard.js';
import { AUDIT_DEFAULTS, auditCorpus, checkAuditOptions, type AuditSummary } from './audit.js';

/** Options of `memsieve audit`, as the CLI passes them. */
export interface AuditCommandOptions {
  input: string[];
  output: string;
  model: string;
  tokenizer: string;
  maxTokens?: number;
  prefixTokens?: number;
  suffixTokens?: number;
  batchSize?: number;
  approxThreshold?: number;
  keepGenerations?: boolean;
  textColumn?: string;
  idColumn?: string;
  format?: Format;
  outputFormat?: Format;
  backend?: string;
  device?: Device;
  /** torch backend weights: auto, float32, bfloat16 */
  dtype?: string;
  threads?: number;
  shardIndex?: number;
  shardCount?: number;
  quiet?: boolean;
}

export async function audit(options: AuditCommandOptions): Promise<AuditSummary> {
  checkAuditOptions(withDefaults(AUDIT_DEFAULTS, options));
  // a shard writes OUTPUT.parts/part-IIIII-of-NNNNN.* and then its marker; `memsieve merge` joins them
  const shard = resolveShard(options);
  const output = shard ? await preparePart(options.output, shard) : options.output;
  const tokenizer = await loadTokenizer(options.tokenizer);
  const generator = await openGenerator(options, tokenizer.vocabSize);
  try {
    const summary = await auditCorpus(generator, tokenizer, {
      input: options.input,
      output,
      inputFormat: options.format,
      outputFormat: options.outputFormat,
      textColumn: options.textColumn,
      idColumn: options.idColumn,
      maxTokens: options.maxTokens,
      prefixTokens: options.prefixTokens,
      suffixTokens: options.suffixTokens,
      batchSize: options.batchSize,
      approxThreshold: options.approxThreshold,
      keepGenerations: options.keepGenerations,
      model: options.model,
      shard,
      quiet: options.quiet,
    });
    if (shard) {
      const { rows, audited, memorized, approx_memorized } = summary;
      const stats = { rows, audited, memorized, approx_memorized, too_short: summary.skipped.too_short };
      await writeShardMarker({ kind: 'audit', shard, inputs: options.input, outputs: { output: options.output }, rows: { output: rows }, stats });
    }
    return summary;
  } finally {
    await generator.close();
  }
}

/** The backend seam: anything implementing Generator can be audited. */
async function openGenerator(options: AuditCommandOptions, tokenizerVocab: number): Promise<Generator> {
  const backend = options.backend ?? 'onnx';
  if (backend === 'onnx') {
    const { loadOnnxModel } = await import('../models/onnx.js');
    // one model: it may use every core
    const threads = options.threads ?? availableParallelism();
    return loadOnnxModel(options.model, { device: options.device, threads, tokenizerVocab, label: '--model' });
  }
  if (backend === 'torch') {
    const { startTorchBackend } = await import('../models/torch-worker.js');
    const { model, device, dtype } = options;
    return startTorchBackend({ model, device, dtype }, tokenizerVocab, `--model ${model}`);
  }
  throw new UserError(`--backend ${backend}: unknown backend; use onnx or torch`);
}
