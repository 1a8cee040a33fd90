// Greedy decoding with a KV cache for graphs in the Hugging Face Optimum / transformers.js
// decoder-with-past layout: inputs past_key_values.{i}.key/value [batch, heads, past, head_dim],
// outputs present.{i}.key/value. Optimum's merged decoders (decoder_model_merged.onnx) add a boolean
// use_cache_branch input choosing between their no-past and with-past subgraphs (an If node): false on
// a run without past, true after. Runs inside the model worker thread (see onnx-worker.ts).
// Each new token then costs one position instead of a pass over the whole sequence.
import * as ort from 'onnxruntime-node';

/** Where a graph keeps its cache, read from its input and output names and shapes. */
export interface KvLayout {
  /** past_key_values.{i}.key, past_key_values.{i}.value, … in layer order */
  pastNames: string[];
  /** present.{i}.key, present.{i}.value, … matching pastNames */
  presentNames: string[];
  heads: number;
  headDim: number;
  pastType: 'float32' | 'float16';
  hasPositionIds: boolean;
  /** an Optimum merged decoder: feed use_cache_branch */
  hasUseCacheBranch: boolean;
}

/** Chooses the next token from one row of logits (the worker's argmax, ties to the lowest id). */
export type PickToken = (logits: Float32Array, offset: number, vocab: number) => number;

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/**
 * The graph's cache layout, or undefined for a logits-only graph.
 * Throws when the graph has a cache the decoder cannot drive (message says what is wrong).
 */
export function detectKvCache(session: ort.InferenceSession): KvLayout | undefined {
  const past = session.inputNames.filter((name) => PAST.test(name));
  if (past.length === 0) return undefined;
  const layers = past.length / 2;
  const pastNames: string[] = [];
  const presentNames: string[] = [];
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) {
      const input = `past_key_values.${i}.${kind}`;
      const output = `present.${i}.${kind}`;
      if (!session.inputNames.includes(input) || !session.outputNames.includes(output)) {
        throw new Error(
          `KV-cache graph without a matching '${input}' input and '${output}' output; export with the Optimum decoder-with-past layout (inputs past_key_values.N.key/value, outputs present.N.key/value)`,
        );
      }
      pastNames.push(input);
      presentNames.push(output);
    }
  }
  const meta = session.inputMetadata.find((m) => m.name === pastNames[0]);
  const shape = meta && meta.isTensor ? meta.shape : [];
  const [heads, headDim] = [shape[1], shape[3]];
  if (shape.length !== 4 || typeof heads !== 'number' || typeof headDim !== 'number') {
    throw new Error(`'${pastNames[0]}' has shape [${shape.join(', ')}]; the cache decoder needs [batch, heads, past_sequence, head_dim] with fixed heads and head_dim`);
  }
  const type = meta && meta.isTensor ? meta.type : undefined;
  if (type !== 'float32' && type !== 'float16') {
    throw new Error(`'${pastNames[0]}' holds ${type}; the cache decoder supports float32 and float16 caches`);
  }
  return {
    pastNames,
    presentNames,
    heads,
    headDim,
    pastType: type,
    hasPositionIds: session.inputNames.includes('position_ids'),
    hasUseCacheBranch: session.inputNames.includes(USE_CACHE_BRANCH),
  };
}

const USE_CACHE_BRANCH = 'use_cache_branch';

function useCacheBranch(kv: KvLayout, value: boolean): Record<string, ort.Tensor> {
  return kv.hasUseCacheBranch ? { [USE_CACHE_BRANCH]: new ort.Tensor('bool', Uint8Array.of(value ? 1 : 0), [1]) } : {};
}

/** Zero-length past tensors: a KV graph run over a whole sequence at once (logits, first decoding step). */
export function emptyPastFeeds(kv: KvLayout, batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = useCacheBranch(kv, false);
  const dims = [batch, kv.heads, 0, kv.headDim];
  for (const name of kv.pastNames) {
    feeds[name] = kv.pastType === 'float32' ? new ort.Tensor('float32', new Float32Array(0), dims) : new ort.Tensor('float16', new Uint16Array(0), dims);
  }
  return feeds;
}

/**
 * Continue every prefix by exactly `steps` tokens, chosen by `pick`, reusing the cache.
 * Prefixes of equal length decode together, so no padding ever enters the cache; results come
 * back flat, row r at [r * steps, (r + 1) * steps).
 */
export async function greedyWithCache(
  session: ort.InferenceSession,
  kv: KvLayout,
  prefixes: Int32Array[],
  steps: number,
  pick: PickToken,
): Promise<Int32Array> {
  const generated = new Int32Array(prefixes.length * steps);
  const byLength = new Map<number, number[]>();
  prefixes.forEach((prefix, r) => {
    if (prefix.length === 0) throw new Error(`prefix ${r} is empty; greedy decoding needs at least one token`);
    const group = byLength.get(prefix.length);
    if (group) group.push(r);
    else byLength.set(prefix.length, [r]);
  });
  for (const rows of byLength.values()) {
    const tokens = await decodeGroup(session, kv, rows.map((r) => prefixes[r]), steps, pick);
    rows.forEach((r, i) => generated.set(tokens.subarray(i * steps, (i + 1) * steps), r * steps));
  }
  return generated;
}

async function decodeGroup(
  session: ort.InferenceSession,
  kv: KvLayout,
  prefixes: Int32Array[],
  steps: number,
  pick: PickToken,
): Promise<Int32Array> {
  const batch = prefixes.length;
  const length = prefixes[0].length;
  const generated = new Int32Array(batch * steps);
  let ids = new BigInt64Array(batch * length);
  prefixes.forEach((prefix, r) => prefix.forEach((id, t) => (ids[r * length + t] = BigInt(id))));
  let past = emptyPastFeeds(kv, batch);
  let pastLength = 0;
  let seq = length;
  for (let step = 0; step < steps; step++) {
    const feeds: Record<string, ort.Tensor> = {
      ...past,
      input_ids: new ort.Tensor('int64', ids, [batch, seq]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * (pastLength + seq)).fill(1n), [batch, pastLength + seq]),
    };
    if (kv.hasPositionIds) {
      const positions = new BigInt64Array(batch * seq);
      for (let r = 0; r < batch; r++) for (let t = 0; t < seq; t++) positions[r * seq + t] = BigInt(pastLength + t);
      feeds.position_ids = new ort.Tensor('int64', positions, [batch, seq]);
    }
    const output = await session.run(feeds);
    const logits = output.logits;
    if (logits.type !== 'float32') throw new Error(`the graph's logits are ${logits.type}; the decoder reads float32 logits`);
    const vocab = logits.dims[2];
    const data = logits.data as Float32Array;
    const next = new BigInt64Array(batch);
    for (let r = 0; r < batch; r++) {
      const token = pick(data, (r * seq + seq - 1) * vocab, vocab);
      generated[r * steps + step] = token;
      next[r] = BigInt(token);
    }
    past = useCacheBranch(kv, true);
    kv.presentNames.forEach((name, i) => (past[kv.pastNames[i]] = output[name]));
    pastLength += seq;
    ids = next;
    seq = 1;
  }
  return generated;
}
