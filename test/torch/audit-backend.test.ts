// `audit --backend torch` (worker, static KV cache) against `--backend onnx` (full recomputation) on one tiny model.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, readParquetRows, tempDir } from '../helpers/kit.js';
import { makeTiny } from './helpers.js';
import { lacks } from '../helpers/system.js';

describe.skipIf(lacks('python3-torch'))('audit --backend torch', () => {
  let dir: string;
  let input: string;
  beforeAll(async () => {
    dir = tempDir();
    makeTiny(join(dir, 'model'), { seed: 3, onnx: join(dir, 'model.onnx') });
    input = join(dir, 'slice.jsonl');
    const rows = (await kitCorpus()).slice(0, 8);
    writeFileSync(input, rows.map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n') + '\n');
  });

  it('generates the same tokens as the onnxruntime backend', async () => {
    const run = (backend: string, model: string, output: string) =>
      runCli(['audit', '-i', input, '-o', output, '--model', model, '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '128',
        '--backend', backend, '--keep-generations', '--quiet', ...(backend === 'torch' ? ['--dtype', 'float32'] : [])]);
    const onnx = run('onnx', join(dir, 'model.onnx'), join(dir, 'onnx.parquet'));
    expect(onnx.status, onnx.stderr).toBe(0);
    const torch = run('torch', join(dir, 'model'), join(dir, 'torch.parquet'));
    expect(torch.status, torch.stderr).toBe(0);
    const a = await readParquetRows(join(dir, 'onnx.parquet'));
    const b = await readParquetRows(join(dir, 'torch.parquet'));
    expect(Object.keys(b[0])).toEqual(Object.keys(a[0]));
    expect(b.map((r) => Array.from(r.generated_ids))).toEqual(a.map((r) => Array.from(r.generated_ids)));
    expect(b.map((r) => [r.memorized, r.lead, r.match_fraction])).toEqual(a.map((r) => [r.memorized, r.lead, r.match_fraction]));
  });
});
