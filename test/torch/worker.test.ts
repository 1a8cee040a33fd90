// The PyTorch worker and trainer driven from TypeScript through their real process boundaries, with tiny
// models on CPU. Independent numbers: the same tiny models exported to ONNX and run by onnxruntime-node
// with the TypeScript feature math (OnnxPairScorer), and greedy decoding by full recomputation there.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadOnnxModel, type OnnxCausalLM } from '../../src/models/onnx.js';
import { startTorchWorker, type TorchWorker } from '../../src/models/torch-worker.js';
import { OnnxPairScorer } from '../../src/score/onnx-pair-scorer.js';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import type { TokenIds } from '../../src/models/types.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';
import { makeTiny, readTokenFile, runPython } from './helpers.js';
import { lacks } from '../helpers/system.js';

const noTorch = lacks('python3-torch');

const dir = tempDir('memsieve-torch-');
const teacherDir = join(dir, 'teacher');
const baselineDir = join(dir, 'baseline');
let rows: TokenIds[] = [];
let texts: string[] = [];
let onnxTeacher: OnnxCausalLM;
let onnxBaseline: OnnxCausalLM;

beforeAll(async () => {
  if (noTorch) return;
  makeTiny(teacherDir, { layers: 2, seed: 1, onnx: join(dir, 'teacher.onnx') });
  makeTiny(baselineDir, { layers: 1, seed: 2, onnx: join(dir, 'baseline.onnx') });
  const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
  texts = (await kitCorpus()).slice(0, 40).map((r) => r.text as string);
  rows = texts.slice(0, 20).map((t) => tokenizer.encodeTruncated(t, 128));
  rows.push(rows[0].slice(0, 70), rows[1].slice(0, 1)); // too short for the suffix window; one token: all NaN
  onnxTeacher = await loadOnnxModel(join(dir, 'teacher.onnx'), { threads: 1 });
  onnxBaseline = await loadOnnxModel(join(dir, 'baseline.onnx'), { threads: 1 });
});

afterAll(async () => {
  await onnxTeacher?.close();
  await onnxBaseline?.close();
});

function expectClose(got: Float64Array, want: Float64Array, rel: number, what: string) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) expect(got[i], `${what}[${i}]`).toBeNaN();
    else expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want[i])));
  }
}

describe.skipIf(noTorch)('torch worker', () => {
  let worker: TorchWorker;
  beforeAll(async () => {
    worker = await startTorchWorker({ teacher: teacherDir, baseline: baselineDir, device: 'cpu', dtype: 'float32', batchTokens: 2048 });
  });
  afterAll(async () => worker?.close());

  it('reports what it loaded', () => {
    expect(worker.info).toMatchObject({ vocab_size: 2048, device: 'cpu', dtype: 'float32' });
    expect(Object.keys(worker.info!.models).sort()).toEqual(['baseline', 'teacher']);
  });

  it('scores pairs like onnxruntime with the TypeScript feature math', async () => {
    const reference = new OnnxPairScorer(onnxTeacher, onnxBaseline);
    for (const temperature of [1, 2]) {
      const options = { temperature, prefixTokens: 50, suffixTokens: 50, minK: 0.3 }; // not the default: --min-k reaches the worker
      const [got, want] = await Promise.all([worker.scorePairs(rows, options), reference.scorePairs(rows, options)]);
      for (const name of Object.keys(want) as (keyof typeof want)[]) expectClose(got[name], want[name], 1e-4, `${name} T=${temperature}`);
      expect(got.teacher_suffix_entropy[20]).toBeNaN(); // 70 tokens < 50 + 50
      expect(got.teacher_nll[20]).not.toBeNaN();
      expect(got.kl_teacher_baseline[21]).toBeNaN(); // one token predicts nothing
    }
  });

  it('greedy decoding with its static KV cache equals full recomputation on onnxruntime', async () => {
    const prefixes = [...rows.slice(0, 5).map((r) => r.slice(0, 50)), rows[5].slice(0, 17)];
    const [got, want] = await Promise.all([worker.greedy(prefixes, 12), onnxTeacher.greedy(prefixes, 12)]);
    expect(got.map((r) => Array.from(r))).toEqual(want.map((r) => Array.from(r)));
  });

  it('gives one model\'s stats equal to the pair columns', async () => {
    const options = { prefixTokens: 50, suffixTokens: 50 };
    const [stats, pair] = await Promise.all([worker.modelStats(rows, options, 'baseline'), worker.scorePairs(rows, { ...options, temperature: 1, minK: 0.2 })]);
    expectClose(stats.nll, pair.baseline_nll, 1e-9, 'nll');
    expectClose(stats.suffix_logprob, pair.baseline_suffix_logprob, 1e-9, 'suffix_logprob');
  });

  it('answers bad requests with a UserError and keeps serving', async () => {
    const outside = Int32Array.from([5, 4000]);
    await expect(worker.scorePairs([outside], { temperature: 1, prefixTokens: 50, suffixTokens: 50, minK: 0.2 })).rejects.toThrow(/vocabulary of 2048/);
    await expect(worker.greedy([rows[0].slice(0, 5)], 3, 'model')).rejects.toThrow(UserError);
    expect((await worker.greedy([rows[0].slice(0, 5)], 3)).length).toBe(1);
  });
});

describe.skipIf(noTorch)('torch worker failures', () => {
  it('refuses a checkpoint folder without weights, mismatched vocabularies, a missing Python', async () => {
    const empty = join(dir, 'empty');
    makeTiny(empty, { seed: 3 });
    rmSync(join(empty, 'model.pt'));
    await expect(startTorchWorker({ teacher: empty, device: 'cpu' })).rejects.toThrow(/has no weights/);
    const small = join(dir, 'small-vocab');
    makeTiny(small, { vocab: 1000, seed: 4 });
    await expect(startTorchWorker({ teacher: teacherDir, baseline: small, device: 'cpu' })).rejects.toThrow(/share a tokenizer/);
    await expect(startTorchWorker({ teacher: teacherDir, python: join(dir, 'no-python') })).rejects.toThrow(/cannot start Python/);
  });

  it('asks for --device cpu where CUDA is missing', async () => {
    const r = runPython(['-c', 'import torch; print(torch.cuda.is_available())']);
    if (r.stdout.trim() === 'True') return; // a GPU machine: nothing to refuse
    await expect(startTorchWorker({ teacher: teacherDir, device: 'cuda' })).rejects.toThrow(/no CUDA device.*--device cpu/);
  });

  it('reports a worker that dies: exit code and its last stderr lines', async () => {
    const fake = join(dir, 'dying-python');
    writeFileSync(fake, '#!/bin/sh\necho "loading teacher" >&2\necho "RuntimeError: CUDA error: an illegal memory access" >&2\nexit 3\n');
    chmodSync(fake, 0o755);
    const start = startTorchWorker({ teacher: teacherDir, python: fake });
    await expect(start).rejects.toThrow(UserError);
    await expect(start).rejects.toThrow(/exited with code 3.*\n.*loading teacher\nRuntimeError: CUDA error/s);
  });

  it('rejects the request in flight and every later one when the worker is killed mid-stream', async () => {
    const worker = await startTorchWorker({ teacher: teacherDir, baseline: baselineDir, device: 'cpu', dtype: 'float32' });
    const many = Array.from({ length: 200 }, (_, i) => rows[i % 20]);
    const pending = worker.scorePairs(many, { temperature: 1, prefixTokens: 50, suffixTokens: 50 });
    process.kill(worker.pid!, 'SIGKILL'); // the request is already written; its answer never comes
    await expect(pending).rejects.toThrow(/killed by SIGKILL/);
    await expect(worker.greedy([rows[0].slice(0, 4)], 2)).rejects.toThrow(/killed by SIGKILL/);
    await worker.close();
  });
});

describe.skipIf(noTorch)('memsieve distill (CLI → trainer process)', () => {
  const train = join(dir, 'train.jsonl');
  const validation = join(dir, 'validation.jsonl');
  beforeAll(() => {
    writeFileSync(train, texts.slice(0, 16).map((text, i) => JSON.stringify({ id: `r${i}`, text })).join('\n') + '\n');
    writeFileSync(validation, texts.slice(30, 36).map((text, i) => JSON.stringify({ id: `v${i}`, text })).join('\n') + '\n');
  });
  const common = () => ['-i', train, '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '64', '--device', 'cpu', '--batch-size', '8', '--seed', '1'];

  it('trains a soft-KD student, shows progress, writes a checkpoint the worker loads', async () => {
    const out = join(dir, 'student-soft');
    const r = runCli(['distill', '--mode', 'soft', '--teacher', teacherDir, '--student-config', baselineDir, '--validation', validation,
      '--out', out, '--epochs', '3', '--lr', '3e-3', '--warmup-steps', '1', '--log-every', '1', ...common()]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/distill: tokenized train: 16 rows/);
    expect(r.stderr).toMatch(/distill: epoch 1 step 1\/6 loss/);
    expect(r.stderr).toMatch(/distill: epoch 3: train loss [\d.]+, validation loss [\d.]+, perplexity/);
    const result = JSON.parse(r.stdout);
    expect(result.steps).toBe(6);
    expect(result.epochs.length).toBe(3);
    expect(Number.isFinite(result.val_ppl)).toBe(true);
    expect(result.val_ppl).toBeCloseTo(Math.exp(result.val_loss), 6);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'distill.json', 'model.pt']);
    expect(JSON.parse(readFileSync(join(out, 'distill.json'), 'utf8')).args).toMatchObject({ mode: 'soft', temperature: 2, lr: 3e-3 });
    const student = await startTorchWorker({ model: out, device: 'cpu' });
    try {
      expect((await student.greedy([rows[0].slice(0, 10)], 5))[0].length).toBe(5);
    } finally {
      await student.close();
    }
  });

  it('a run killed after epoch 2 resumes there and ends as the uninterrupted run', async () => {
    const out = join(dir, 'student-resumed');
    const args = ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts'), 'distill', '--mode', 'soft', '--teacher', teacherDir,
      '--student-config', baselineDir, '--validation', validation, '--out', out, '--epochs', '3', '--lr', '3e-3', '--warmup-steps', '1', ...common()];
    // the CLI and its trainer in one process group, killed together as soon as epoch 2 is reported
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/distill: epoch 2: train loss/.test(stderr)) process.kill(-child.pid!, 'SIGKILL');
      });
      child.once('close', () => resolve());
    });
    expect(existsSync(out)).toBe(false);
    const r = runCli(args.slice(3));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/distill: resuming an interrupted run after epoch 2 \(step 4\)/);
    expect(r.stderr).not.toMatch(/distill: epoch 1:/);
    // the same trajectory as the uninterrupted soft-KD run above (same options and data)
    const history = (folder: string) => JSON.parse(readFileSync(join(folder, 'distill.json'), 'utf8')).history;
    expect(history(out)).toEqual(history(join(dir, 'student-soft')));
    expect(existsSync(`${out}.resume`)).toBe(false);
  });

  it('hard KD trains on the teacher\'s greedy continuations of each prefix', async () => {
    const sequences = join(dir, 'hard.tokens');
    const r = runCli(['distill', '--mode', 'hard', '--teacher', teacherDir, '--student-config', baselineDir, '--out', join(dir, 'student-hard'),
      '--prefix-tokens', '20', '--hard-data-out', sequences, ...common()]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/teacher wrote hard-KD targets .*student-hard\.targets\.parquet \(16 rows\)/);
    const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
    const original = texts.slice(0, 16).map((t) => tokenizer.encodeTruncated(t, 64));
    const generated = readTokenFile(sequences);
    expect(generated.map((g) => g.length)).toEqual(original.map((o) => o.length));
    const prefixes = original.map((o) => o.slice(0, 20));
    const continuations = await onnxTeacher.greedy(prefixes, 44);
    for (let i = 0; i < 16; i++) {
      expect(Array.from(generated[i].slice(0, 20))).toEqual(Array.from(prefixes[i]));
      expect(Array.from(generated[i].slice(20))).toEqual(Array.from(continuations[i].slice(0, original[i].length - 20)));
    }
  });

  it('hard KD under a BOS: the prompt is the BOS + k text tokens, --max-tokens counts text tokens', async () => {
    // the kit tokenizer with a post-processor that puts <|endoftext|> (id 0) first, as Gemma's puts <bos>
    const json = JSON.parse(readFileSync(kitFile('tokenizer.json'), 'utf8'));
    const special = { '<|endoftext|>': { id: '<|endoftext|>', ids: [0], tokens: ['<|endoftext|>'] } };
    const single = [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }];
    json.post_processor = { type: 'TemplateProcessing', single, pair: single, special_tokens: special };
    const withBos = join(dir, 'bos-tokenizer.json');
    writeFileSync(withBos, JSON.stringify(json));
    const sequences = join(dir, 'hard-bos.tokens');
    const args = common().map((a) => (a === kitFile('tokenizer.json') ? withBos : a));
    const r = runCli(['distill', '--mode', 'hard', '--teacher', teacherDir, '--student-config', baselineDir, '--out', join(dir, 'student-hard-bos'),
      '--prefix-tokens', '20', '--hard-data-out', sequences, ...args]);
    expect(r.status, r.stderr).toBe(0);
    const plain = await loadTokenizer(kitFile('tokenizer.json'));
    const original = texts.slice(0, 16).map((t) => Int32Array.from([0, ...plain.encodeTruncated(t, 64)]));
    const generated = readTokenFile(sequences);
    expect(generated.map((g) => g.length)).toEqual(original.map((o) => o.length)); // BOS + up to 64 text tokens
    const prefixes = original.map((o) => o.slice(0, 21));
    const continuations = await onnxTeacher.greedy(prefixes, 44);
    for (let i = 0; i < 16; i++) {
      expect(Array.from(generated[i].slice(0, 21))).toEqual(Array.from(prefixes[i]));
      expect(Array.from(generated[i].slice(21))).toEqual(Array.from(continuations[i].slice(0, original[i].length - 21)));
    }
  });

  it('refuses mismatched vocabularies and missing CUDA with one line and no output folder', () => {
    const small = join(dir, 'small-vocab');
    if (!existsSync(small)) makeTiny(small, { vocab: 1000, seed: 4 });
    const out = join(dir, 'never');
    let r = runCli(['distill', '--mode', 'soft', '--teacher', teacherDir, '--student-config', small, '--out', out, ...common()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/memsieve: error: teacher .* vocabulary of 2048, the student 1000/);
    expect(r.stderr).not.toMatch(/Traceback|at .*\.ts:/);
    r = runCli(['distill', '--mode', 'ce', '--student-config', baselineDir, '--out', out, ...common().filter((a) => a !== 'cpu' && a !== '--device'), '--device', 'cuda']);
    if (!r.stderr.includes('CUDA')) expect(r.status).toBe(0);
    else expect(r.stderr).toMatch(/memsieve: error: --device cuda: no CUDA device/);
    r = runCli(['distill', '--mode', 'soft', '--student-config', baselineDir, '--out', out, ...common()]);
    expect(r.stderr).toMatch(/--mode soft needs --teacher/);
    expect(existsSync(out)).toBe(false);
  });
});
