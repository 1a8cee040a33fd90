// The KV-cache decoder must give exactly the tokens of full recomputation: same weights, two graphs
// (fixtures/kv-tiny, exported by make_kv_tiny.py), prefixes taken from kit text.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxCausalLM } from '../../src/models/onnx.js';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import { kitCorpus, kitFile } from '../helpers/kit.js';

const KV_TINY = join(import.meta.dirname, '..', '..', 'fixtures', 'kv-tiny');

describe('greedy decoding: KV cache vs full recomputation (kv-tiny)', () => {
  let full: OnnxCausalLM;
  let cached: OnnxCausalLM;
  let prefixes: Int32Array[];

  beforeAll(async () => {
    const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
    full = await loadOnnxModel(join(KV_TINY, 'logits.onnx'), { threads: 1, tokenizerVocab: tokenizer.vocabSize });
    cached = await loadOnnxModel(join(KV_TINY, 'kv.onnx'), { threads: 1, tokenizerVocab: tokenizer.vocabSize });
    const corpus = (await kitCorpus()).slice(0, 6);
    prefixes = corpus.map((row) => tokenizer.encodeTruncated(row.text, 50));
  });
  afterAll(async () => {
    await full?.close();
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
