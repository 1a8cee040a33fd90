// Worker thread owning one onnxruntime session: session.run() blocks its thread, so each model
// runs here and the main thread keeps reading, tokenizing and writing.
import { parentPort, workerData } from 'node:worker_threads';
import { createSession, ModelFileError, runLogits, type LoadedSession } from './onnx-session.js';
import { unpackRows, type PackedRows } from './batch-pack.js';
import { greedyWithCache } from './onnx-kv.js';
import { RowStatsAccumulator, softmaxStats } from '../score/features.js';
import type { Device } from './types.js';

export interface WorkerInit {
  path: string;
  device: Device;
  threads: number;
}

export type WorkerRequest =
  | { id: number; op: 'logits'; rows: PackedRows }
  | { id: number; op: 'features'; rows: PackedRows; temperature: number; prefixTokens: number; suffixTokens: number; klRole: KlRole }
  | { id: number; op: 'greedy'; rows: PackedRows; steps: number };

/** In a KL(p ‖ q) pair, p (the teacher) returns probabilities at τ; q (the baseline) its raw logits. */
export type KlRole = 'p' | 'q';

/** Per-row stats of one model plus what the KL between two models needs (see score/features.ts). */
export interface FeaturesResult {
  nll: Float64Array;
  suffixEntropy: Float64Array;
  suffixLogprob: Float64Array;
  /** start (in predicting positions) of each row in the per-position arrays */
  positionOffsets: Int32Array;
  vocab: number;
  /** padded sequence length of `logits` */
  seqLen: number;
  /** logZ and Σ p·z of softmax(z/τ), per predicting position */
  klLogZ: Float64Array;
  klMeanLogit: Float64Array;
  /** role p: softmax(z/τ) of the predicting positions, rows back to back */
  klProbs?: Float32Array;
  /** role q: the raw logits, [batch, seqLen, vocab] */
  logits?: Float32Array;
}

const port = parentPort!;
const init = workerData as WorkerInit;
let loaded: LoadedSession;

try {
  loaded = await createSession(init.path, init.device, init.threads);
  port.postMessage({ ready: true, vocab: loaded.vocab, inputNames: loaded.inputNames, outputNames: loaded.outputNames });
} catch (error) {
  port.postMessage({ ready: false, userError: error instanceof ModelFileError, message: (error as Error).message });
}

port.on('message', async (request: WorkerRequest) => {
  try {
    const rows = unpackRows(request.rows);
    if (request.op === 'logits') {
      const logits = await runLogits(loaded, rows);
      port.postMessage({ id: request.id, result: logits }, [logits.data.buffer as ArrayBuffer]);
    } else if (request.op === 'features') {
      const result = await features(request, rows);
      const big = (result.klProbs ?? result.logits)!;
      port.postMessage({ id: request.id, result }, [big.buffer as ArrayBuffer]);
    } else {
      const tokens = loaded.kv
        ? await greedyWithCache(loaded.session, loaded.kv, rows, request.steps, argmax)
        : await greedyRecompute(rows, request.steps);
      port.postMessage({ id: request.id, result: tokens }, [tokens.buffer as ArrayBuffer]);
    }
  } catch (error) {
    port.postMessage({ id: request.id, message: (error as Error).message });
  }
});

async function features(request: Extract<WorkerRequest, { op: 'features' }>, rows: Int32Array[]): Promise<FeaturesResult> {
  const { temperature, klRole } = request;
  const window = { prefixTokens: request.prefixTokens, suffixTokens: request.suffixTokens };
  const { data, seqLen, vocab } = await runLogits(loaded, rows);
  const positionOffsets = new Int32Array(rows.length + 1);
  for (let r = 0; r < rows.length; r++) positionOffsets[r + 1] = positionOffsets[r] + Math.max(rows[r].length - 1, 0);
  const positions = positionOffsets[rows.length];
  const klProbs = klRole === 'p' ? new Float32Array(positions * vocab) : undefined;
  const klLogZ = new Float64Array(positions);
  const klMeanLogit = new Float64Array(positions);
  const nll = new Float64Array(rows.length);
  const suffixEntropy = new Float64Array(rows.length);
  const suffixLogprob = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const ids = rows[r];
    const accumulator = new RowStatsAccumulator(ids, window);
    for (let j = 0; j < ids.length - 1; j++) {
      const at = (r * seqLen + j) * vocab;
      const position = positionOffsets[r] + j;
      const probs = klProbs && temperature === 1 ? klProbs : null;
      const stats = softmaxStats(data, at, vocab, 1, probs, position * vocab);
      accumulator.add(j, stats, data[at + ids[j + 1]]);
      const klStats = temperature === 1 ? stats : softmaxStats(data, at, vocab, temperature, klProbs ?? null, position * vocab);
      klLogZ[position] = klStats.logZ;
      klMeanLogit[position] = klStats.meanLogit;
    }
    ({ nll: nll[r], suffixEntropy: suffixEntropy[r], suffixLogprob: suffixLogprob[r] } = accumulator.result());
  }
  const kl = klRole === 'p' ? { klProbs } : { logits: data };
  return { nll, suffixEntropy, suffixLogprob, positionOffsets, vocab, seqLen, klLogZ, klMeanLogit, ...kl };
}

/** Greedy decoding without a KV cache: one full forward pass per new token. */
async function greedyRecompute(prefixes: Int32Array[], steps: number): Promise<Int32Array> {
  const sequences = prefixes.map((prefix) => {
    const sequence = new Int32Array(prefix.length + steps);
    sequence.set(prefix);
    return sequence;
  });
  const generated = new Int32Array(prefixes.length * steps);
  for (let step = 0; step < steps; step++) {
    const current = sequences.map((sequence, r) => sequence.subarray(0, prefixes[r].length + step));
    const { data, seqLen, vocab } = await runLogits(loaded, current);
    for (let r = 0; r < prefixes.length; r++) {
      const at = (r * seqLen + current[r].length - 1) * vocab;
      const next = argmax(data, at, vocab);
      sequences[r][prefixes[r].length + step] = next;
      generated[r * steps + step] = next;
    }
  }
  return generated;
}

/** Index of the largest value; ties go to the lowest id, as in the kit's reference decoding. */
export function argmax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  let bestValue = values[offset];
  for (let v = 1; v < length; v++) {
    if (values[offset + v] > bestValue) {
      bestValue = values[offset + v];
      best = v;
    }
  }
  return best;
}
