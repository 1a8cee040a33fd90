import { packRows } from '../models/batch-pack.js';
import type { OnnxCausalLM } from '../models/onnx.js';
import type { PairScoreOptions, PairScorer, PairScores, TokenIds } from '../models/types.js';
import { siblingModule, startWorker, WorkerRpc } from '../worker-thread.js';

/**
 * Teacher and baseline on onnxruntime, each in its own worker thread, run concurrently; a third thread turns
 * their logits into features, so the teacher's thread does nothing but run the teacher.
 */
export class OnnxPairScorer implements PairScorer {
  private readonly math = new WorkerRpc(startWorker(siblingModule(import.meta.url, 'pair-worker'), null), 'feature math');

  constructor(
    private readonly teacher: OnnxCausalLM,
    private readonly baseline: OnnxCausalLM,
  ) {}

  async scorePairs(rows: TokenIds[], options: PairScoreOptions): Promise<PairScores> {
    const [teacher, baseline] = await Promise.all([this.teacher.logits(rows), this.baseline.logits(rows)]);
    const packed = packRows(rows);
    const transfer = [teacher.data.buffer, baseline.data.buffer, packed.flat.buffer, packed.offsets.buffer] as ArrayBuffer[];
    return this.math.request<PairScores>({ teacher, baseline, rows: packed, options }, transfer);
  }

  async close(): Promise<void> {
    await Promise.all([this.teacher.close(), this.baseline.close(), this.math.close()]);
  }
}
