import { klAt } from './features.js';
import type { OnnxCausalLM } from '../models/onnx.js';
import type { PairScoreOptions, PairScorer, PairScores, TokenIds } from '../models/types.js';

/**
 * Teacher and baseline on onnxruntime, each in its own worker thread, run concurrently;
 * the KL between them is computed here from the log-probabilities they return.
 */
export class OnnxPairScorer implements PairScorer {
  constructor(
    private readonly teacher: OnnxCausalLM,
    private readonly baseline: OnnxCausalLM,
  ) {}

  async scorePairs(rows: TokenIds[], options: PairScoreOptions): Promise<PairScores> {
    const { temperature, prefixTokens, suffixTokens } = options;
    const [t, b] = await Promise.all([
      this.teacher.features(rows, temperature, prefixTokens, suffixTokens, 'p'),
      this.baseline.features(rows, temperature, prefixTokens, suffixTokens, 'q'),
    ]);
    const vocab = t.vocab;
    if (t.vocab !== b.vocab) {
      throw new Error(`teacher and baseline logits differ in size (${t.vocab} vs ${b.vocab}); they must share a vocabulary`);
    }
    const kl = new Float64Array(rows.length);
    const teacherProbs = t.klProbs!;
    const baselineLogits = b.logits!;
    for (let r = 0; r < rows.length; r++) {
      const positions = rows[r].length - 1;
      let sum = 0;
      for (let j = 0; j < positions; j++) {
        const position = t.positionOffsets[r] + j;
        const teacherStats = { logZ: t.klLogZ[position], meanLogit: t.klMeanLogit[position] };
        sum += klAt(teacherProbs, position * vocab, teacherStats, baselineLogits, (r * b.seqLen + j) * vocab, b.klLogZ[position], vocab, temperature);
      }
      kl[r] = positions > 0 ? sum / positions : NaN;
    }
    return {
      teacher_nll: t.nll,
      baseline_nll: b.nll,
      kl_teacher_baseline: kl,
      teacher_suffix_entropy: t.suffixEntropy,
      baseline_suffix_entropy: b.suffixEntropy,
      teacher_suffix_logprob: t.suffixLogprob,
      baseline_suffix_logprob: b.suffixLogprob,
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.teacher.close(), this.baseline.close()]);
  }
}
