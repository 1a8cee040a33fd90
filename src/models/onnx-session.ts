// onnxruntime-node session handling; imported only inside the model worker thread so that
// commands which need no model never load the native backend.
import * as ort from 'onnxruntime-node';
import type { Device } from './types.js';
import { detectKvCache, emptyPastFeeds, type KvLayout } from './onnx-kv.js';
import { classifyDeviceFailure } from './device-errors.js';

const EXECUTION_PROVIDERS: Record<Device, string[]> = {
  cpu: ['cpu'],
  // the CUDA provider exists only after `npm run setup:cuda` (device-errors.ts says so when it is missing)
  cuda: ['cuda', 'cpu'],
  webgpu: ['webgpu', 'cpu'],
};

export interface LoadedSession {
  session: ort.InferenceSession;
  vocab: number;
  hasPositionIds: boolean;
  /** cache layout of a KV-cache graph (onnx-kv.ts); undefined for logits-only graphs */
  kv: KvLayout | undefined;
  inputNames: readonly string[];
  outputNames: readonly string[];
}

/** A problem with the model file the user can fix: reported without a stack trace. */
export class ModelFileError extends Error {}

/** The device cannot run any model (no adapter, no provider, no GPU): the model file is not to blame. */
export class DeviceError extends Error {}

export async function createSession(path: string, device: Device, threads: number): Promise<LoadedSession> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      executionProviders: EXECUTION_PROVIDERS[device],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    const message = (error as Error).message;
    const deviceFailure = classifyDeviceFailure(device, message);
    if (deviceFailure) throw new DeviceError(deviceFailure.message);
    throw new ModelFileError(`not a loadable ONNX model (${message.split('\n')[0]})`);
  }
  const inputNames = session.inputNames;
  const outputNames = session.outputNames;
  for (const name of ['input_ids', 'attention_mask']) {
    if (!inputNames.includes(name)) {
      throw new ModelFileError(`the graph has no '${name}' input (inputs: ${inputNames.join(', ')}); export a causal LM with input_ids and attention_mask`);
    }
  }
  if (!outputNames.includes('logits')) {
    throw new ModelFileError(`the graph has no 'logits' output (outputs: ${outputNames.join(', ')}); export the causal LM head's logits`);
  }
  const hasPositionIds = inputNames.includes('position_ids');
  let kv: KvLayout | undefined;
  try {
    kv = detectKvCache(session);
  } catch (error) {
    throw new ModelFileError((error as Error).message);
  }
  const logitsMeta = session.outputMetadata.find((m) => m.name === 'logits');
  const lastDim = logitsMeta && logitsMeta.isTensor ? logitsMeta.shape[logitsMeta.shape.length - 1] : undefined;
  const vocab = typeof lastDim === 'number' ? lastDim : await probeVocab(session, hasPositionIds, kv);
  return { session, vocab, hasPositionIds, kv, inputNames, outputNames };
}

async function probeVocab(session: ort.InferenceSession, hasPositionIds: boolean, kv: KvLayout | undefined): Promise<number> {
  const logits = await runLogits({ session, hasPositionIds, kv }, [Int32Array.of(0)]);
  return logits.vocab;
}

/** Run a right-padded batch; returns logits [batch, seqLen, vocab]. */
export async function runLogits(
  loaded: Pick<LoadedSession, 'session' | 'hasPositionIds' | 'kv'>,
  rows: Int32Array[],
  runOptions: ort.InferenceSession.RunOptions = {},
): Promise<{ data: Float32Array; batch: number; seqLen: number; vocab: number }> {
  const batch = rows.length;
  let seqLen = 0;
  for (const row of rows) if (row.length > seqLen) seqLen = row.length;
  const ids = new BigInt64Array(batch * seqLen);
  const mask = new BigInt64Array(batch * seqLen);
  for (let r = 0; r < batch; r++) {
    const row = rows[r];
    for (let t = 0; t < row.length; t++) {
      ids[r * seqLen + t] = BigInt(row[t]);
      mask[r * seqLen + t] = 1n;
    }
  }
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [batch, seqLen]),
    attention_mask: new ort.Tensor('int64', mask, [batch, seqLen]),
  };
  if (loaded.hasPositionIds) {
    const positions = new BigInt64Array(batch * seqLen);
    for (let r = 0; r < batch; r++) for (let t = 0; t < seqLen; t++) positions[r * seqLen + t] = BigInt(t);
    feeds.position_ids = new ort.Tensor('int64', positions, [batch, seqLen]);
  }
  // a KV-cache graph runs the whole sequence with an empty past
  if (loaded.kv) Object.assign(feeds, emptyPastFeeds(loaded.kv, batch));
  const output = await loaded.session.run(feeds, ['logits'], runOptions);
  const logits = output.logits;
  const vocab = logits.dims[2];
  return { data: logits.data as Float32Array, batch, seqLen, vocab };
}
