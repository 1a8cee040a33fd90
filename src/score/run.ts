import { withDefaults } from '../defaults.js';
import { UserError } from '../errors.js';
import type { PairScorer } from '../models/types.js';
import type { OnnxCausalLM } from '../models/onnx.js';
import { runModelStage, type ModelStageOptions } from '../stage/model-stage.js';
import type { Warned } from '../stage/warnings.js';
import { checkScoreOptions, SCORE_DEFAULTS, scoreCorpus, type ScoreSummary } from './score.js';

/** Options of `memsieve score`, as the CLI and the pipeline runner pass them. */
export interface ScoreCommandOptions extends ModelStageOptions {
  teacher: string;
  baseline: string;
  temperature?: number;
  prefixTokens?: number;
  suffixTokens?: number;
  minK?: number;
  /** only the paper's columns: bench/score.ts's reference variant, not a CLI option */
  paperColumnsOnly?: boolean;
}

/** `memsieve score`: load the tokenizer and the backend (lazily: only here), then stream the corpus. */
export async function score(options: ScoreCommandOptions): Promise<Warned<ScoreSummary>> {
  const settings = withDefaults(SCORE_DEFAULTS, options);
  checkScoreOptions(settings);
  return runModelStage(options, {
    kind: 'score',
    openBackend: (tokenizerVocab) => openPairScorer(options, tokenizerVocab),
    provenance: {
      stage: 'score',
      models: { teacher: options.teacher, baseline: options.baseline },
      settings: {
        max_tokens: settings.maxTokens,
        prefix_tokens: settings.prefixTokens,
        suffix_tokens: settings.suffixTokens,
        temperature: settings.temperature,
        min_k: settings.minK,
      },
    },
    run: (scorer, tokenizer, stream, provenance) =>
      scoreCorpus(scorer, tokenizer, {
        ...stream,
        provenance,
        temperature: options.temperature,
        prefixTokens: options.prefixTokens,
        suffixTokens: options.suffixTokens,
        minK: options.minK,
        paperColumnsOnly: options.paperColumnsOnly,
      }),
    shardStats: ({ rows, tokens, short_rows }) => ({ rows, stats: { rows, tokens, short_rows } }),
  });
}

async function openPairScorer(options: ScoreCommandOptions, tokenizerVocab: number): Promise<PairScorer> {
  const backend = options.backend ?? 'onnx';
  if (backend === 'onnx') {
    const { loadOnnxModel } = await import('../models/onnx.js');
    const { OnnxPairScorer } = await import('./onnx-pair-scorer.js');
    const common = { device: options.device, threads: options.threads, tokenizerVocab };
    const loads = await Promise.allSettled([
      loadOnnxModel(options.teacher, { ...common, label: '--teacher' }),
      loadOnnxModel(options.baseline, { ...common, label: '--baseline' }),
    ]);
    const failed = loads.find((load) => load.status === 'rejected');
    if (failed) {
      await Promise.all(loads.map((load) => (load.status === 'fulfilled' ? load.value.close() : undefined)));
      throw failed.reason;
    }
    const [teacher, baseline] = loads.map((load) => (load as PromiseFulfilledResult<OnnxCausalLM>).value);
    if (teacher.vocabSize !== baseline.vocabSize) {
      await Promise.all([teacher.close(), baseline.close()]);
      throw new UserError(
        `--teacher ${options.teacher} has logits over ${teacher.vocabSize} tokens but --baseline ${options.baseline} over ${baseline.vocabSize}; ` +
          'the teacher-baseline KL needs one vocabulary: pass a baseline trained with the teacher\'s tokenizer',
      );
    }
    return new OnnxPairScorer(teacher, baseline);
  }
  if (backend === 'torch') {
    const { startTorchBackend } = await import('../models/torch-worker.js');
    const { teacher, baseline, device, dtype } = options;
    return startTorchBackend({ teacher, baseline, device, dtype }, tokenizerVocab, `--teacher ${teacher}`);
  }
  throw new UserError(`--backend ${backend}: unknown backend; use onnx or torch`);
}
