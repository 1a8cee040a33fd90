// `score --backend torch` (the PyTorch worker) against `--backend onnx` on the same tiny models:
// same columns in the same order, same values (float32 kernels of two runtimes).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, readParquetRows, tempDir } from '../helpers/kit.js';
import { makeTiny } from '../torch/helpers.js';
import { lacks } from '../helpers/system.js';
import { readProvenance } from '../../src/stage/provenance.js';

describe.skipIf(lacks('python3-torch'))('score --backend torch', () => {
  let dir: string;
  let input: string;
  beforeAll(async () => {
    dir = tempDir();
    makeTiny(join(dir, 'teacher'), { seed: 1, onnx: join(dir, 'teacher.onnx') });
    makeTiny(join(dir, 'baseline'), { seed: 2, onnx: join(dir, 'baseline.onnx') });
    const corpus = await kitCorpus();
    input = join(dir, 'slice.jsonl');
    const rows = [...corpus.slice(0, 6), { id: 'short', text: 'A short row.' }];
    writeFileSync(input, rows.map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n') + '\n');
  });

  const score = (backend: string, teacher: string, baseline: string, output: string) =>
    runCli([
      'score', '-i', input, '-o', output, '--teacher', teacher, '--baseline', baseline, '--tokenizer', kitFile('tokenizer.json'),
      '--max-tokens', '128', '--temperature', '2', '--backend', backend, '--quiet', ...(backend === 'torch' ? ['--dtype', 'float32'] : []),
    ]);

  it('writes the same columns and values as the onnxruntime backend', async () => {
    const onnx = score('onnx', join(dir, 'teacher.onnx'), join(dir, 'baseline.onnx'), join(dir, 'onnx.parquet'));
    expect(onnx.status, onnx.stderr).toBe(0);
    const torch = score('torch', join(dir, 'teacher'), join(dir, 'baseline'), join(dir, 'torch.parquet'));
    expect(torch.status, torch.stderr).toBe(0);
    const a = await readParquetRows(join(dir, 'onnx.parquet'));
    const b = await readParquetRows(join(dir, 'torch.parquet'));
    expect(Object.keys(b[0])).toEqual(Object.keys(a[0]));
    expect(b.length).toBe(a.length);
    a.forEach((row, i) => {
      for (const [key, value] of Object.entries(row)) {
        if (typeof value === 'number' && !Number.isInteger(value)) {
          expect(Math.abs(b[i][key] - value) / Math.max(Math.abs(value), 1e-9), `${key} row ${i}`).toBeLessThan(1e-4);
        } else {
          expect(b[i][key], `${key} row ${i}`).toEqual(value);
        }
      }
    });
    expect(b.at(-1)!.teacher_suffix_entropy).toBeNull();
    // each output records the backend that made it, and the torch weights' dtype
    expect((await readProvenance(join(dir, 'onnx.parquet'), 'score'))).toMatchObject({ backend: 'onnx', dtype: null });
    expect((await readProvenance(join(dir, 'torch.parquet'), 'score'))).toMatchObject({ backend: 'torch', dtype: 'float32' });
  });

  it('fails clearly and leaves no output when the worker cannot load a model', () => {
    const output = join(dir, 'broken.parquet');
    const result = score('torch', join(dir, 'teacher'), join(dir, 'no-such-checkpoint'), output);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/no-such-checkpoint/);
    expect(existsSync(output)).toBe(false);
  });
});
