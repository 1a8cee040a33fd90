// `audit --backend torch`'s one-pass path through the real worker process (tiny models, CPU, float32):
// memorized/lead equal full greedy decoding row by row, resumed decoding equals full decoding, the worker's
// argmaxes equal onnxruntime's on the same weights, and an exact tie goes to the lowest id.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditBatch, type BatchPlan } from '../../src/audit/methods.js';
import { loadOnnxModel, type OnnxCausalLM } from '../../src/models/onnx.js';
import { startTorchWorker, type TorchWorker } from '../../src/models/torch-worker.js';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import { selfCopyRows } from '../audit/helpers.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';
import { makeTiny } from './helpers.js';

const dir = tempDir('memsieve-onepass-torch-');
const [k, m] = [50, 50];
const plan = (method: BatchPlan['method'], decoded: boolean): BatchPlan => ({ method, prefixTokens: k, suffixTokens: m, maxTokens: 128, decoded, approxThreshold: 0.9 });
let worker: TorchWorker;
let onnx: OnnxCausalLM;
let rows: Int32Array[];

beforeAll(async () => {
  makeTiny(join(dir, 'model'), { layers: 2, seed: 7, onnx: join(dir, 'model.onnx') });
  worker = await startTorchWorker({ model: join(dir, 'model'), device: 'cpu', dtype: 'float32' });
  onnx = await loadOnnxModel(join(dir, 'model.onnx'), { threads: 1 });
  const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
  const corpus = (await kitCorpus()).slice(0, 10).map((row) => tokenizer.encodeTruncated(row.text, 128));
  rows = [...(await selfCopyRows(worker, corpus.slice(0, 6).map((ids) => ids.subarray(0, k)), m, [0, 3, 30, 48, 49, null])), ...corpus.slice(6)];
}, 300_000);
afterAll(async () => {
  await worker?.close();
  await onnx?.close();
});

describe('torch worker: one-pass audit', () => {
  it('memorized and lead equal full greedy decoding, row by row', async () => {
    const greedy = await auditBatch(worker, rows, plan('greedy', false));
    const onePass = await auditBatch(worker, rows, plan('one-pass', false));
    expect(onePass.map((a) => [a.memorized, a.lead])).toEqual(greedy.map((a) => [a.memorized, a.lead]));
    expect(greedy.slice(0, 6).map((a) => a.lead)).toEqual([0, 3, 30, 48, 49, 50]);
  });

  it('decoding resumed at the first miss equals full decoding', async () => {
    const greedy = await auditBatch(worker, rows, plan('greedy', true));
    const resumed = await auditBatch(worker, rows, plan('one-pass', true));
    expect(resumed.map((a) => Array.from(a.generated!))).toEqual(greedy.map((a) => Array.from(a.generated!)));
    expect(resumed.map(({ generated: _, ...a }) => a)).toEqual(greedy.map(({ generated: _, ...a }) => a));
  });

  it("the worker's teacher-forced argmaxes equal onnxruntime's on the same weights", async () => {
    const windows = rows.map((ids) => ids.subarray(0, k + m));
    const [a, b] = [await worker.teacherForcedArgmax(windows, k), await onnx.teacherForcedArgmax(windows, k)];
    expect(a.map((t) => Array.from(t))).toEqual(b.map((t) => Array.from(t)));
  });

  it('an exact tie goes to the lowest id in both methods', async () => {
    makeTiny(join(dir, 'tied'), { seed: 5, tie: [5, 11] });
    const tied = await startTorchWorker({ model: join(dir, 'tied'), device: 'cpu', dtype: 'float32' });
    try {
      const row = (suffix: number[]) => Int32Array.from([3, 900, 17, 4, ...suffix]);
      const tieRows = [row([5, 5, 5, 5]), row([11, 11, 11, 11])];
      for (const method of ['one-pass', 'greedy'] as const) {
        const audits = await auditBatch(tied, tieRows, { method, prefixTokens: 4, suffixTokens: 4, maxTokens: 8, decoded: true, approxThreshold: 0.9 });
        expect(audits.map((a) => [a.memorized, a.lead, Array.from(a.generated!)]), method).toEqual([[true, 4, [5, 5, 5, 5]], [false, 0, [5, 5, 5, 5]]]);
      }
    } finally {
      await tied.close();
    }
  }, 300_000);

  it('an empty prompt or a row shorter than the start is a clear error from the worker', async () => {
    await expect(worker.teacherForcedArgmax([Int32Array.of(1, 2, 3)], 0)).rejects.toThrow(/start 0 must be ≥ 1/);
    await expect(worker.teacherForcedArgmax([Int32Array.of(1, 2, 3), Int32Array.of(1)], 2)).rejects.toThrow(/row 1 has fewer than start = 2/);
  });
});
