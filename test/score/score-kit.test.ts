// memsieve score against the kit's golden values (computed independently in PyTorch float32).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCORE_COLUMNS } from '../../src/score/columns.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, kitGolden, readParquetRows, tempDir } from '../helpers/kit.js';

const REL = 1e-3; // kit tolerance for nll, KL, entropy, log-probability
const ZLIB_REL = 0.05; // Node's zlib build differs from Python's
// a slice with unique rows and repeated (memorized) ones from the end of the corpus
const ROWS = [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => 5280 + i)];

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
}

describe('score on the kit', () => {
  let golden: Record<string, any>[];
  let out: Record<string, any>[];
  let input: Record<string, any>[];
  let stderr: string;

  beforeAll(async () => {
    const corpus = await kitCorpus();
    const all = await kitGolden();
    input = ROWS.map((r) => corpus[r]);
    golden = ROWS.map((r) => all[r]);
    const dir = tempDir();
    const inputPath = join(dir, 'slice.jsonl');
    writeFileSync(inputPath, input.map((row) => JSON.stringify({ id: row.id, text: row.text, copies: Number(row.copies) })).join('\n') + '\n');
    const output = join(dir, 'scores.parquet');
    const result = runCli([
      'score', '--input', inputPath, '--output', output,
      '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
      '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '128', '--batch-size', '8', '--quiet',
    ]);
    stderr = result.stderr;
    expect(result.status, result.stderr).toBe(0);
    out = await readParquetRows(output);
  });

  it('passes every input column through and appends exactly the score columns', () => {
    expect(Object.keys(out[0])).toEqual(['id', 'text', 'copies', ...SCORE_COLUMNS]);
    expect(out.map((r) => r.id)).toEqual(input.map((r) => r.id));
    expect(out.map((r) => r.text)).toEqual(input.map((r) => r.text));
  });

  it('matches golden n_tokens exactly and zlib within 5%', () => {
    out.forEach((row, i) => {
      expect(row.n_tokens).toBe(Number(golden[i].n_tokens));
      expect(relErr(row.zlib_bytes, Number(golden[i].zlib_bytes))).toBeLessThanOrEqual(ZLIB_REL);
      expect(row.zlib_entropy).toBeCloseTo((8 * row.zlib_bytes) / row.n_tokens, 12);
    });
  });

  it('matches golden nll, perplexity, KL and suffix quantities within 1e-3 relative', () => {
    const pairs: [string, string][] = [
      ['teacher_nll', 'nll_teacher'],
      ['baseline_nll', 'nll_baseline'],
      ['kl_teacher_baseline', 'kl_tb_T1'],
      ['teacher_suffix_entropy', 'suf_entropy_teacher'],
      ['baseline_suffix_entropy', 'suf_entropy_baseline'],
      ['teacher_suffix_logprob', 'suf_logprob_teacher'],
      ['baseline_suffix_logprob', 'suf_logprob_baseline'],
    ];
    out.forEach((row, i) => {
      for (const [ours, theirs] of pairs) expect(relErr(row[ours], golden[i][theirs]), `${ours} row ${i}`).toBeLessThanOrEqual(REL);
      expect(relErr(row.teacher_ppl, Math.exp(golden[i].nll_teacher))).toBeLessThanOrEqual(REL);
      expect(relErr(row.baseline_ppl, Math.exp(golden[i].nll_baseline))).toBeLessThanOrEqual(REL);
    });
  });

  it('finds the teacher and baseline memorization of golden (greedy decoding) from the teacher-forced argmax', () => {
    for (const model of ['teacher', 'baseline']) {
      out.forEach((row, i) => {
        expect(row[`${model}_memorized`], `${model} row ${ROWS[i]}`).toBe(Boolean(golden[i][`mem_${model}`]));
        expect(row[`${model}_lead`], `${model} row ${ROWS[i]}`).toBe(Number(golden[i][`lead_${model}`]));
      });
    }
    // the slice holds both kinds for both models, and leads short of m
    for (const model of ['teacher', 'baseline']) expect(new Set(out.map((row) => row[`${model}_memorized`]))).toEqual(new Set([true, false]));
    expect(out.some((row) => row.baseline_lead > 0 && row.baseline_lead < 50)).toBe(true);
  });

  it('divides the teacher nll by the compressed length for the zlib ratio', () => {
    out.forEach((row, i) => {
      expect(row.teacher_zlib_ratio).toBeCloseTo(row.teacher_nll / row.zlib_bytes, 15);
      const goldenRatio = golden[i].nll_teacher / Number(golden[i].zlib_bytes);
      expect(relErr(row.teacher_zlib_ratio, goldenRatio)).toBeLessThanOrEqual(ZLIB_REL + REL);
    });
  });

  it('prints a one-line JSON summary on stderr', () => {
    const summary = JSON.parse(stderr.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ command: 'score', rows: ROWS.length, short_rows: 0 });
    expect(summary.tokens).toBe(golden.reduce((sum, g) => sum + Number(g.n_tokens), 0));
  });

  it('computes the KL at temperature 2 as the kit does, reading the files after one -i in order (a shell glob)', async () => {
    const dir = tempDir();
    const inputs = [join(dir, 'slice-a.jsonl'), join(dir, 'slice-b.jsonl')];
    writeFileSync(inputs[0], input.slice(0, 4).map((row) => JSON.stringify({ id: row.id, text: row.text })).join('\n'));
    writeFileSync(inputs[1], input.slice(4, 6).map((row) => JSON.stringify({ id: row.id, text: row.text })).join('\n'));
    const output = join(dir, 't2.jsonl');
    const result = runCli([
      'score', '-i', ...inputs, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
      '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '128', '--temperature', '2', '--quiet',
    ]);
    expect(result.status, result.stderr).toBe(0);
    const { readFileSync } = await import('node:fs');
    const rows = readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(rows.map((row) => row.id)).toEqual(input.slice(0, 6).map((row) => row.id));
    rows.forEach((row, i) => expect(relErr(row.kl_teacher_baseline, golden[i].kl_tb_T2)).toBeLessThanOrEqual(REL));
  });

  it('keeps rows too short for the suffix window, with null suffix columns', async () => {
    const dir = tempDir();
    const inputPath = join(dir, 'short.jsonl');
    writeFileSync(inputPath, [input[0], { id: 'short', text: 'The jury said it did not find.' }].map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n'));
    const output = join(dir, 'short.parquet');
    const result = runCli([
      'score', '-i', inputPath, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
      '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '128',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/row 1: \d+ tokens < prefix 50 \+ suffix 50; suffix and memorization columns null/);
    const rows = await readParquetRows(output);
    expect(rows[1].teacher_suffix_entropy).toBeNull();
    expect(rows[1].baseline_suffix_logprob).toBeNull();
    for (const column of ['teacher_memorized', 'teacher_lead', 'baseline_memorized', 'baseline_lead']) expect(rows[1][column], column).toBeNull();
    expect(rows[1].teacher_nll).toBeGreaterThan(0);
    expect(rows[1].teacher_mink).toBeLessThan(0);
    expect(rows[1].teacher_zlib_ratio).toBeGreaterThan(0);
    expect(rows[0].teacher_suffix_entropy).not.toBeNull();
  });
});
