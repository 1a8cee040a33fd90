// The audit command as the CLI and the pipeline runner call it: load tokenizer and backend (lazily,
// only here), then stream the corpus through auditCorpus.
import { withDefaults } from '../defaults.js';
import { availableParallelism } from 'node:os';
import { UserError } from '../errors.js';
import type { Generator } from '../models/types.js';
import { runModelStage, type ModelStageOptions } from '../stage/model-stage.js';
import type { Warned } from '../stage/warnings.js';
import { AUDIT_DEFAULTS, auditCorpus, checkAuditOptions, type AuditSummary } from './audit.js';
import type { AuditMethod } from './methods.js';

/** Options of `memsieve audit`, as the CLI and the pipeline runner pass them. */
export interface AuditCommandOptions extends ModelStageOptions {
  model: string;
  prefixTokens?: number;
  suffixTokens?: number;
  approxThreshold?: number;
  approximate?: boolean;
  keepGenerations?: boolean;
  oscillation?: boolean;
  oscillationNgram?: number;
  oscillationThreshold?: number;
  method?: AuditMethod;
}

export async function audit(options: AuditCommandOptions): Promise<Warned<AuditSummary>> {
  const settings = withDefaults(AUDIT_DEFAULTS, options);
  checkAuditOptions(settings);
  return runModelStage(options, {
    kind: 'audit',
    openBackend: (tokenizerVocab) => openGenerator(options, tokenizerVocab),
    provenance: {
      stage: 'audit',
      models: { model: options.model },
      settings: {
        max_tokens: settings.maxTokens,
        prefix_tokens: settings.prefixTokens,
        suffix_tokens: settings.suffixTokens,
        temperature: null,
        min_k: null,
      },
    },
    run: (generator, tokenizer, stream, provenance) =>
      auditCorpus(generator, tokenizer, {
        ...stream,
        provenance,
        prefixTokens: options.prefixTokens,
        suffixTokens: options.suffixTokens,
        approxThreshold: options.approxThreshold,
        approximate: options.approximate,
        keepGenerations: options.keepGenerations,
        oscillation: options.oscillation,
        oscillationNgram: options.oscillationNgram,
        oscillationThreshold: options.oscillationThreshold,
        method: options.method,
        model: options.model,
      }),
    shardStats: ({ rows, audited, memorized, approx_memorized, oscillatory, skipped }) => ({
      rows,
      // approx_memorized only when computed: a sum over shards must not read a missing count as 0
      stats: { rows, audited, memorized, too_short: skipped.too_short, ...(approx_memorized === null ? {} : { approx_memorized }), ...(oscillatory === null ? {} : { oscillatory }) },
    }),
  });
}

/** The backend seam: anything implementing Generator can be audited (or continue prompts: targets). */
export async function openGenerator(
  options: Pick<ModelStageOptions, 'backend' | 'device' | 'dtype' | 'threads'> & { model: string },
  tokenizerVocab: number,
  label = '--model',
): Promise<Generator> {
  const backend = options.backend ?? 'onnx';
  if (backend === 'onnx') {
    const { loadOnnxModel } = await import('../models/onnx.js');
    // one model: it may use every core
    const threads = options.threads ?? availableParallelism();
    return loadOnnxModel(options.model, { device: options.device, threads, tokenizerVocab, label });
  }
  if (backend === 'torch') {
    const { startTorchBackend } = await import('../models/torch-worker.js');
    const { model, device, dtype } = options;
    return startTorchBackend({ model, device, dtype }, tokenizerVocab, `${label} ${model}`);
  }
  throw new UserError(`--backend ${backend}: unknown backend; use onnx or torch`);
}
