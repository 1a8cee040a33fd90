import { meanKl } from './features.js';
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
      this.teacher.features(rows, temperature, prefixTokens, suffixTokens),
      this.baseline.features(rows, temperature, prefixTokens, suffixTokens),
    ]);
    const vocab = Math.min(t.vocab, b.vocab);
    if (t.vocab !== b.vocab) {
      throw new Error(`teacher and baseline logits differ in size (${t.vocab} vs ${b.vocab}); they must share a vocabulary`);
    }
    const kl = new Float64Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const start = t.positionOffsets[r];
      kl[r] = meanKl(t.klLogprobs, b.klLogprobs, start * vocab, t.positionOffsets[r + 1] - start, vocab);
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
