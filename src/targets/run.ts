// The targets command as the CLI, distill and the pipeline runner call it: tokenizer and teacher are
// opened only here (the model-stage frame), then the corpus streams through generateTargets.
import { withDefaults } from '../defaults.js';
import { openGenerator } from '../audit/run.js';
import { runModelStage, type ModelStageOptions } from '../stage/model-stage.js';
import type { Warned } from '../stage/warnings.js';
import { checkTargetsOptions, generateTargets, TARGETS_DEFAULTS, targetsSummaryPath, type TargetsSummary } from './targets.js';
import { refuseOverwrite } from '../io/no-overwrite.js';

/** Options of `memsieve targets`. */
export interface TargetsCommandOptions extends ModelStageOptions {
  teacher: string;
  prefixTokens?: number;
  oscillationNgram?: number;
  oscillationThreshold?: number;
}

export async function targets(options: TargetsCommandOptions): Promise<Warned<TargetsSummary>> {
  const outputs = { '--output': options.output === '-' ? [] : [options.output, targetsSummaryPath(options.output)] };
  await refuseOverwrite(outputs, { '--input': options.input, '--teacher': options.teacher, '--tokenizer': options.tokenizer });
  const settings = withDefaults(TARGETS_DEFAULTS, options);
  checkTargetsOptions(settings);
  return runModelStage({ ...options, maxTokens: settings.maxTokens }, {
    kind: 'targets',
    openBackend: (tokenizerVocab) => openGenerator({ ...options, model: options.teacher }, tokenizerVocab, '--teacher'),
    provenance: {
      stage: 'targets',
      models: { teacher: options.teacher },
      settings: {
        max_tokens: settings.maxTokens,
        prefix_tokens: settings.prefixTokens,
        suffix_tokens: null,
        temperature: null,
        min_k: null,
      },
    },
    run: (teacher, tokenizer, stream, provenance) =>
      generateTargets(teacher, tokenizer, {
        ...stream,
        provenance,
        prefixTokens: options.prefixTokens,
        oscillationNgram: options.oscillationNgram,
        oscillationThreshold: options.oscillationThreshold,
        teacher: options.teacher,
      }),
    shardStats: ({ rows, continued, regurgitated, regurgitated_tokens, continuation_tokens, oscillatory }) => ({
      rows,
      stats: { rows, continued, regurgitated, regurgitated_tokens, continuation_tokens, oscillatory },
    }),
  });
}
