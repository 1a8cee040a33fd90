// Worker thread owning one onnxruntime session: session.run() blocks its thread, so each model
// runs here and the main thread keeps reading, tokenizing and writing.
import { parentPort, workerData } from 'node:worker_threads';
import { createSession, DeviceError, ModelFileError, runLogits, type LoadedSession } from './onnx-session.js';
import { unpackRows, type PackedRows } from './batch-pack.js';
import { greedyWithCache } from './onnx-kv.js';
import { postTransferring } from '../worker-thread.js';
import type { Device } from './types.js';

export interface WorkerInit {
  path: string;
  device: Device;
  threads: number;
  /** the tokenizer's largest id: run once at load, so an embedding smaller than the vocabulary fails here, named */
  largestId?: number;
}

export type WorkerRequest =
  | { id: number; op: 'logits'; rows: PackedRows }
  | { id: number; op: 'greedy'; rows: PackedRows; steps: number }
  | { id: number; op: 'argmax'; rows: PackedRows; start: number };

const port = parentPort!;
const init = workerData as WorkerInit;
let loaded: LoadedSession;

try {
  loaded = await createSession(init.path, init.device, init.threads);
  // past the logits the caller refuses anyway (its message says more)
  if (init.largestId !== undefined && init.largestId < loaded.vocab) await probeId(loaded, init.largestId);
  port.postMessage({ ready: true, vocab: loaded.vocab, inputNames: loaded.inputNames, outputNames: loaded.outputNames });
} catch (error) {
  const kind = error instanceof DeviceError ? 'device' : error instanceof ModelFileError ? 'model' : 'bug';
  port.postMessage({ ready: false, kind, message: (error as Error).message });
}

/** The logits graph maps ids through an embedding whose rows may be fewer than its logits: try the largest id. */
async function probeId(session: LoadedSession, id: number): Promise<void> {
  try {
    // fatal only: onnxruntime's own error line would repeat the message below
    await runLogits(session, [Int32Array.of(id)], { logSeverityLevel: 4 });
  } catch (error) {
    throw new ModelFileError(
      `the model cannot take the tokenizer's token id ${id} (${(error as Error).message.split('\n')[0]}); its embedding has fewer rows than the tokenizer has ids: use the tokenizer the model was trained with`,
    );
  }
}

port.on('message', async (request: WorkerRequest) => {
  try {
    const rows = unpackRows(request.rows);
    if (request.op === 'logits') {
      const logits = await runLogits(loaded, rows);
      postTransferring((transfer) => port.postMessage({ id: request.id, result: logits }, transfer), [logits.data.buffer as ArrayBuffer]);
    } else if (request.op === 'argmax') {
      const tokens = await teacherForcedArgmax(rows, request.start);
      port.postMessage({ id: request.id, result: tokens }, [tokens.buffer as ArrayBuffer]);
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

/**
 * One forward pass over the right-padded batch (a KV graph runs it with an empty past); only the
 * argmaxes at positions start − 1 .. len − 2 of each row leave the thread, flat in row order.
 */
async function teacherForcedArgmax(rows: Int32Array[], start: number): Promise<Int32Array> {
  let total = 0;
  for (const [r, row] of rows.entries()) {
    if (start < 1 || row.length < start) throw new Error(`row ${r} has ${row.length} tokens; teacher-forced argmax from position ${start} needs 1 ≤ start ≤ length`);
    total += row.length - start;
  }
  const tokens = new Int32Array(total);
  if (total === 0) return tokens;
  const { data, seqLen, vocab } = await runLogits(loaded, rows);
  let at = 0;
  for (let r = 0; r < rows.length; r++) {
    for (let t = start - 1; t < rows[r].length - 1; t++) tokens[at++] = argmax(data, (r * seqLen + t) * vocab, vocab);
  }
  return tokens;
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
