// Min-K%, Min-K%++ and the zlib ratio of `memsieve score` against an independent float64 reference: the kit's
// ONNX models run here through onnxruntime-node directly (one row per call, no padding), their float32 logits go
// to a numpy script (min_k_reference.py) that shares no code with memsieve's feature math.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, readParquetRows, tempDir } from '../helpers/kit.js';
import { PYTHON } from '../torch/helpers.js';

const REL = 1e-3; // the kit's tolerance for per-example model quantities
const MIN_KS = [0.2, 0.05];
const MODELS = ['teacher', 'baseline'] as const;
type Reference = Record<(typeof MODELS)[number], Record<string, number | null>>;

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
}

describe('score Min-K%, Min-K%++ and zlib ratio against a float64 numpy reference', () => {
  let rows: { id: string; text: string }[];
  let ids: number[][];
  let reference: Reference[];
  let dir: string;

  beforeAll(async () => {
    const corpus = await kitCorpus();
    // 40 full rows spread over the corpus (unique and repeated ones), and short rows where ⌊k·(n−1)⌋ is 0 or small
    const full = Array.from({ length: 40 }, (_, i) => corpus[i * 132 + 7]);
    const short = [1, 2, 3, 4, 6, 9, 17, 33].map((words, i) => ({ id: `short-${words}`, text: corpus[i].text.trim().split(/\s+/).slice(0, words).join(' ') }));
    rows = [...full, ...short].map((row) => ({ id: row.id, text: row.text }));
    const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
    ids = rows.map((row) => Array.from(tokenizer.encodeTruncated(row.text, 128)));
    expect(Math.min(...ids.map((row) => row.length))).toBeGreaterThanOrEqual(1);
    dir = tempDir();
    const logits: Record<string, string> = {};
    for (const model of MODELS) {
      const session = await ort.InferenceSession.create(kitFile(`${model}.onnx`));
      const parts: Buffer[] = [];
      for (const row of ids) {
        const shape = [1, row.length];
        const result = await session.run({
          input_ids: new ort.Tensor('int64', BigInt64Array.from(row, BigInt), shape),
          attention_mask: new ort.Tensor('int64', new BigInt64Array(row.length).fill(1n), shape),
        });
        const data = result.logits.data as Float32Array;
        parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      }
      await session.release();
      logits[model] = join(dir, `${model}.f32`);
      writeFileSync(logits[model], Buffer.concat(parts));
    }
    const meta = join(dir, 'meta.json');
    writeFileSync(meta, JSON.stringify({ vocab: 2048, min_k: MIN_KS, rows: ids, logits }));
    const python = spawnSync(PYTHON, [join(import.meta.dirname, 'min_k_reference.py'), meta], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(python.status, python.stderr).toBe(0);
    reference = python.stdout.trim().split('\n').map((line) => JSON.parse(line));
    writeFileSync(join(dir, 'rows.jsonl'), rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  }, 600_000);

  const score = (minK: number) => {
    const output = join(dir, `scores-${minK}.parquet`);
    const result = runCli([
      'score', '-i', join(dir, 'rows.jsonl'), '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
      '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '128', '--min-k', String(minK), '--quiet',
    ]);
    expect(result.status, result.stderr).toBe(0);
    return readParquetRows(output);
  };

  for (const minK of MIN_KS) {
    it(`matches within 1e-3 at --min-k ${minK}, short rows included`, async () => {
      const out = await score(minK);
      expect(out.map((row) => row.n_tokens)).toEqual(ids.map((row) => row.length));
      let compared = 0;
      out.forEach((row, i) => {
        for (const model of MODELS) {
          const ref = reference[i][model];
          if (ref.nll === null) {
            expect(row[`${model}_mink`], `${model} row ${row.id}`).toBeNull();
            expect(row[`${model}_minkpp`], `${model} row ${row.id}`).toBeNull();
            continue;
          }
          expect(relErr(row[`${model}_mink`], ref[`mink@${minK}`]!), `${model}_mink row ${row.id}`).toBeLessThanOrEqual(REL);
          expect(relErr(row[`${model}_minkpp`], ref[`minkpp@${minK}`]!), `${model}_minkpp row ${row.id}`).toBeLessThanOrEqual(REL);
          compared++;
        }
        if (reference[i].teacher.nll === null) expect(row.teacher_zlib_ratio).toBeNull();
        else expect(relErr(row.teacher_zlib_ratio, reference[i].teacher.nll / row.zlib_bytes), `zlib ratio row ${row.id}`).toBeLessThanOrEqual(REL);
      });
      expect(compared).toBe(2 * (rows.length - 1)); // every row but the one-token one
    });
  }

  it('covers rows where ⌊k·(n−1)⌋ = 0, where memsieve averages one value (the reference code would give NaN)', () => {
    const oneValue = ids.filter((row) => row.length >= 2 && Math.floor(0.2 * (row.length - 1)) === 0);
    expect(oneValue.length).toBeGreaterThanOrEqual(2);
  });
});
