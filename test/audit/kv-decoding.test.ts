// The KV-cache decoder must give exactly the tokens of full recomputation: same weights, two graphs
// (fixtures/kv-tiny, exported by make_kv_tiny.py), prefixes taken from kit text.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxCausalLM } from '../../src/models/onnx.js';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import { kitCorpus, kitFile } from '../helpers/kit.js';

const KV_TINY = join(import.meta.dirname, '..', '..', 'fixtures', 'kv-tiny');

// the reference (logits-only graph) and 50-token kit prefixes, shared by both graphs under test
let full: OnnxCausalLM;
let prefixes: Int32Array[];
let tokenizerVocab: number;
beforeAll(async () => {
  const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
  tokenizerVocab = tokenizer.vocabSize;
  full = await loadOnnxModel(join(KV_TINY, 'logits.onnx'), { threads: 1, tokenizerVocab });
  prefixes = (await kitCorpus()).slice(0, 6).map((row) => tokenizer.encodeTruncated(row.text, 50));
});
afterAll(async () => {
  await full?.close();
});

describe('greedy decoding: KV cache vs full recomputation (kv-tiny)', () => {
  let cached: OnnxCausalLM;
  beforeAll(async () => {
    cached = await loadOnnxModel(join(KV_TINY, 'kv.onnx'), { threads: 1, tokenizerVocab });
  });
  afterAll(async () => {
    await cached?.close();
  });

  it('logits of the KV graph (empty past) equal the logits-only graph', async () => {
    const a = await full.logits(prefixes.slice(0, 3));
    const b = await cached.logits(prefixes.slice(0, 3));
    expect([b.batch, b.seqLen, b.vocab]).toEqual([a.batch, a.seqLen, a.vocab]);
    let worst = 0;
    let spread = 0;
    for (let i = 0; i < a.data.length; i++) {
      worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
      spread = Math.max(spread, Math.abs(a.data[i]));
    }
    expect(spread).toBeGreaterThan(1); // real logits, not zeros
    expect(worst).toBeLessThan(1e-4);
  });

  it('identical tokens for 50-token prefixes, 30 new tokens', async () => {
    const viaFull = await full.greedy(prefixes, 30);
    const viaCache = await cached.greedy(prefixes, 30);
    expect(viaCache.map((t) => Array.from(t))).toEqual(viaFull.map((t) => Array.from(t)));
    // the continuation is not degenerate: several distinct tokens per row
    for (const tokens of viaFull) expect(new Set(tokens).size).toBeGreaterThan(3);
  });

  it('identical tokens when prefixes of different lengths share a call', async () => {
    const mixed = [prefixes[0].subarray(0, 7), prefixes[1], prefixes[2].subarray(0, 23), prefixes[3].subarray(0, 7)];
    const viaFull = await full.greedy(mixed, 12);
    const viaCache = await cached.greedy(mixed, 12);
    expect(viaCache.map((t) => Array.from(t))).toEqual(viaFull.map((t) => Array.from(t)));
  });

  it('each step is the argmax of the logits of prefix + tokens so far', async () => {
    const [tokens] = await cached.greedy([prefixes[4]], 5);
    const sequence = Array.from(prefixes[4]);
    for (const token of tokens) {
      const { data, seqLen, vocab } = await full.logits([Int32Array.from(sequence)]);
      const row = data.subarray((seqLen - 1) * vocab, seqLen * vocab);
      let best = 0;
      for (let v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
      expect(token).toBe(best);
      sequence.push(token);
    }
  });
});

describe('greedy decoding with an Optimum merged decoder (use_cache_branch; kv-tiny/merged.onnx)', () => {
  let merged: OnnxCausalLM;
  beforeAll(async () => {
    merged = await loadOnnxModel(join(KV_TINY, 'merged.onnx'), { threads: 1, tokenizerVocab });
  });
  afterAll(async () => {
    await merged?.close();
  });

  it('scores and decodes exactly as full recomputation', async () => {
    const a = await full.logits(prefixes.slice(0, 2));
    const b = await merged.logits(prefixes.slice(0, 2));
    let worst = 0;
    for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
    expect(worst).toBeLessThan(1e-4);
    const viaFull = await full.greedy(prefixes.slice(0, 4), 20);
    const viaMerged = await merged.greedy(prefixes.slice(0, 4), 20);
    expect(viaMerged.map((t) => Array.from(t))).toEqual(viaFull.map((t) => Array.from(t)));
  });

  it('the flag matters: its no-past branch ignores the cache', async () => {
    // one decoding step by hand: with the cache of the prefix, true and false give different logits
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(join(KV_TINY, 'merged.onnx'));
    const prefix = prefixes[0].subarray(0, 10);
    const ids = (tokens: ArrayLike<number>) => new ort.Tensor('int64', BigInt64Array.from(Array.from(tokens), BigInt), [1, tokens.length]);
    const ones = (n: number) => new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
    const empty = new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 16]);
    const flag = (value: boolean) => new ort.Tensor('bool', Uint8Array.of(value ? 1 : 0), [1]);
    const pastNames = ['past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value'];
    const first = await session.run({
      input_ids: ids(prefix),
      attention_mask: ones(10),
      position_ids: ids(Array.from({ length: 10 }, (_, t) => t)),
      use_cache_branch: flag(false),
      ...Object.fromEntries(pastNames.map((name) => [name, empty])),
    });
    // (the no-past branch sees one token, so its mask is one long)
    const step = (useCache: boolean) =>
      session.run({
        input_ids: ids([prefix[9]]),
        attention_mask: ones(useCache ? 11 : 1),
        position_ids: ids([10]),
        use_cache_branch: flag(useCache),
        ...Object.fromEntries(pastNames.map((name) => [name, first[name.replace('past_key_values', 'present')]])),
      });
    const [withCache, withoutCache] = [(await step(true)).logits.data as Float32Array, (await step(false)).logits.data as Float32Array];
    let differ = 0;
    for (let i = 0; i < withCache.length; i++) differ = Math.max(differ, Math.abs(withCache[i] - withoutCache[i]));
    expect(differ).toBeGreaterThan(0.1);
    await session.release();
  });
});
