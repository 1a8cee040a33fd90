// One-pass vs full greedy decoding, row by row, on the onnx backend: fixtures/kv-tiny's three graphs
// (logits-only, KV cache, Optimum merged) and a constructed exact tie. Rows are built so that leads
// span 0..m: a kit prefix followed by the model's own greedy continuation, broken at a chosen position.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditBatch, type BatchPlan } from '../../src/audit/methods.js';
import { loadOnnxModel, type OnnxCausalLM } from '../../src/models/onnx.js';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import { makeTiny } from '../torch/helpers.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';
import { selfCopyRows } from './helpers.js';

const KV_TINY = join(import.meta.dirname, '..', '..', 'fixtures', 'kv-tiny');
const [k, m] = [50, 50];
const plan = (method: BatchPlan['method'], decoded: boolean): BatchPlan => ({ method, prefixTokens: k, suffixTokens: m, maxTokens: 128, decoded, approxThreshold: 0.9 });

let prefixes: Int32Array[];
let corpusRows: Int32Array[];
beforeAll(async () => {
  const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
  const corpus = await kitCorpus();
  corpusRows = corpus.slice(0, 12).map((row) => tokenizer.encodeTruncated(row.text, 128));
  prefixes = corpusRows.map((ids) => ids.subarray(0, k));
});

describe.each(['logits', 'kv', 'merged'])('kv-tiny/%s.onnx: one-pass equals full greedy decoding', (graph) => {
  let model: OnnxCausalLM;
  let rows: Int32Array[];
  beforeAll(async () => {
    model = await loadOnnxModel(join(KV_TINY, `${graph}.onnx`), { threads: 1, tokenizerVocab: 2048 });
    // breaks at 0, 1, 7, 25, 48, 49 and none (memorized), plus plain corpus rows (lead ≈ 0)
    rows = [...(await selfCopyRows(model, prefixes.slice(0, 7), m, [0, 1, 7, 25, 48, 49, null])), ...corpusRows.slice(7)];
  });
  afterAll(async () => {
    await model?.close();
  });

  it('memorized and lead, row by row', async () => {
    const greedy = await auditBatch(model, rows, plan('greedy', false));
    const onePass = await auditBatch(model, rows, plan('one-pass', false));
    expect(onePass.map((a) => [a.memorized, a.lead])).toEqual(greedy.map((a) => [a.memorized, a.lead]));
    expect(greedy.slice(0, 7).map((a) => a.lead)).toEqual([0, 1, 7, 25, 48, 49, 50]);
    expect(onePass[0]).toEqual({ memorized: false, lead: 0 }); // no decoded measures unless asked
  });

  it('decoding resumed at the first miss gives the generation and measures of full decoding', async () => {
    const greedy = await auditBatch(model, rows, plan('greedy', true));
    const resumed = await auditBatch(model, rows, plan('one-pass', true));
    expect(resumed.map((a) => Array.from(a.generated!))).toEqual(greedy.map((a) => Array.from(a.generated!)));
    expect(resumed.map(({ generated: _, ...a }) => a)).toEqual(greedy.map(({ generated: _, ...a }) => a));
    expect(greedy.some((a) => !a.memorized && a.approx_memorized)).toBe(true); // the 48/49-lead rows
  });
});

describe('an exact tie between the two top logits goes to the lowest id (onnx)', () => {
  let model: OnnxCausalLM;
  beforeAll(async () => {
    const dir = tempDir();
    makeTiny(join(dir, 'tied'), { seed: 5, onnx: join(dir, 'tied.onnx'), tie: [11, 5] });
    model = await loadOnnxModel(join(dir, 'tied.onnx'), { threads: 1, tokenizerVocab: 2048 });
  });
  afterAll(async () => {
    await model?.close();
  });

  it('in the teacher-forced argmax, full greedy decoding and the resumed decoding', async () => {
    const prompt = [3, 900, 17, 4];
    const row = (suffix: number[]) => Int32Array.from([...prompt, ...suffix]);
    const rows = [row([5, 5, 5, 5, 5, 5]), row([11, 11, 11, 11, 11, 11]), row([5, 5, 11, 5, 5, 5])];
    const tie = { method: 'one-pass' as const, prefixTokens: 4, suffixTokens: 6, maxTokens: 10, decoded: true, approxThreshold: 0.9 };
    const { data, vocab } = await model.logits([rows[1]]);
    for (let t = 0; t < rows[1].length; t++) expect(data[t * vocab + 5]).toBe(data[t * vocab + 11]);
    expect(Array.from((await model.teacherForcedArgmax(rows, 4))[1])).toEqual([5, 5, 5, 5, 5, 5]);
    for (const method of ['one-pass', 'greedy'] as const) {
      const audits = await auditBatch(model, rows, { ...tie, method });
      expect(audits.map((a) => [a.memorized, a.lead]), method).toEqual([[true, 6], [false, 0], [false, 2]]);
      expect(audits.map((a) => Array.from(a.generated!)), method).toEqual([[5, 5, 5, 5, 5, 5], [5, 5, 5, 5, 5, 5], [5, 5, 5, 5, 5, 5]]);
    }
  });
});
