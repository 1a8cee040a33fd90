// The audit and compare commands end to end: generations through both decoding paths, compare on the
// kit's golden flags, and every bad input of the issue (exit 2, a message, no output left behind).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureMemorization } from '../../src/audit/measures.js';
import { loadTokenizer, type Tokenizer } from '../../src/text/tokenizer.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, kitGolden, tempDir } from '../helpers/kit.js';
import { readOutputRows } from './helpers.js';

const KV_TINY = join(import.meta.dirname, '..', '..', 'fixtures', 'kv-tiny');
const kitReport = JSON.parse(readFileSync(kitFile('report.json'), 'utf8'));

function writeJsonl(path: string, rows: object[]): string {
  writeFileSync(path, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  return path;
}

describe('memsieve audit --keep-generations, KV cache and full recomputation (kv-tiny)', () => {
  const dir = tempDir();
  let tokenizer: Tokenizer;
  let corpus: Record<string, any>[];
  const outputs: Record<string, string> = {};

  beforeAll(async () => {
    tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
    corpus = (await kitCorpus()).slice(0, 6).map((row) => ({ id: row.id, text: row.text }));
    const input = writeJsonl(join(dir, 'six.jsonl'), corpus);
    for (const graph of ['logits', 'kv']) {
      outputs[graph] = join(dir, `${graph}.parquet`);
      const result = runCli([
        'audit', '-i', input, '-o', outputs[graph], '--model', join(KV_TINY, `${graph}.onnx`), '--tokenizer', kitFile('tokenizer.json'),
        '--prefix-tokens', '20', '--suffix-tokens', '16', '--max-tokens', '64', '--batch-size', '4', '--threads', '1', '--keep-generations', '-q',
      ]);
      expect(result.status, result.stderr).toBe(0);
    }
  });

  it('both graphs write the same generations, and the measures follow from them', async () => {
    const [full, cached] = [await readOutputRows(outputs.logits), await readOutputRows(outputs.kv)];
    expect(cached).toEqual(full);
    expect(full).toHaveLength(6);
    for (const row of full) {
      const ids = tokenizer.encodeTruncated(row.text, 64);
      expect(row.generated_ids).toHaveLength(16);
      expect(row.generated_text).toBe(tokenizer.decode(row.generated_ids));
      const m = measureMemorization(ids.subarray(20, 36), Int32Array.from(row.generated_ids), 0.9);
      expect([row.memorized, row.lead, row.match_fraction, row.approx_memorized]).toEqual([m.memorized, m.lead, m.match_fraction, m.approx_memorized]);
    }
  });
});

describe('memsieve compare on the kit golden flags', () => {
  const dir = tempDir();
  let golden: Record<string, any>[];
  beforeAll(async () => {
    golden = await kitGolden();
  });

  it("reproduces report.json's overlap counts and draws the figure", () => {
    const args = ['compare', '--output', join(dir, 'overlap.json'), '--figure', join(dir, 'overlap.svg')];
    for (const name of ['teacher', 'baseline', 'student', 'student_hard']) {
      const path = writeJsonl(join(dir, `${name}.jsonl`), golden.map((g) => ({ id: g.id, memorized: g[`mem_${name}`] })));
      args.push('--audit', `${name}=${path}`);
    }
    const result = runCli(args);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'overlap.json'), 'utf8'));
    const overlap = kitReport.overlap;
    expect(report.easy_to_memorize.count).toBe(overlap['teacher&baseline']);
    expect(report.students.student.easy_to_memorize.count).toBe(overlap['student&teacher&baseline']);
    expect(report.students.student.inherited.count).toBe(overlap['inherited_soft(teacher&student&~baseline)']);
    expect(report.students.student_hard.inherited.count).toBe(overlap['inherited_hard(teacher&hard&~baseline)']);
    expect(report.teacher_only.count).toBe(overlap['teacher_only_not_baseline']);
    expect(report.soft_and_hard.count).toBe(overlap['soft&hard']);
    expect(report.memorized.student.count).toBe(kitReport.mem_count_student);
    expect(result.stdout).toContain(`memorized by student: ${kitReport.mem_count_student}`);
    expect(readFileSync(join(dir, 'overlap.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });

  it('disjoint ids: exit 2, no output', () => {
    const a = writeJsonl(join(dir, 'a.jsonl'), [{ id: 'x1', memorized: true }, { id: 'x2', memorized: false }]);
    const b = writeJsonl(join(dir, 'b.jsonl'), [{ id: 'y1', memorized: true }]);
    const output = join(dir, 'disjoint.json');
    const result = runCli(['compare', '--audit', `teacher=${a}`, '--audit', `student=${b}`, '--output', output]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/share no id/);
    expect(existsSync(output)).toBe(false);
  });

  it('a duplicate id inside one audit: exit 2 naming the id and rows, no output', () => {
    const a = writeJsonl(join(dir, 'dup.jsonl'), [{ id: 'x1', memorized: true }, { id: 'x2', memorized: false }, { id: 'x1', memorized: false }]);
    const b = writeJsonl(join(dir, 'ok.jsonl'), [{ id: 'x1', memorized: true }, { id: 'x2', memorized: true }]);
    const output = join(dir, 'dup.json');
    const result = runCli(['compare', '--audit', `teacher=${b}`, '--audit', `student=${a}`, '--output', output, '--figure', join(dir, 'dup.svg')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/student=.*dup\.jsonl: id 'x1' appears twice \(rows 0 and 2\)/);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(join(dir, 'dup.svg'))).toBe(false);
  });
});

describe('memsieve audit: bad input', () => {
  const dir = tempDir();
  let input: string;
  beforeAll(async () => {
    input = writeJsonl(join(dir, 'two.jsonl'), (await kitCorpus()).slice(0, 2).map((row) => ({ id: row.id, text: row.text })));
  });
  const audit = (output: string, extra: string[], model = join(KV_TINY, 'logits.onnx')) =>
    runCli(['audit', '-i', input, '-o', output, '--model', model, '--tokenizer', kitFile('tokenizer.json'), '--threads', '1', ...extra]);

  it.each(['one-pass', 'greedy'])('prefix + suffix longer than --max-tokens (--method %s): exit 2, no output', (method) => {
    const output = join(dir, `window-${method}.parquet`);
    const result = audit(output, ['--max-tokens', '64', '--method', method]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--prefix-tokens 50 \+ --suffix-tokens 50 = 100 exceed --max-tokens 64/);
    expect(existsSync(output)).toBe(false);
  });

  it('an empty prompt (--prefix-tokens 0) or an unknown --method: exit 2 naming the option, no output', () => {
    const output = join(dir, 'empty-prompt.parquet');
    const empty = audit(output, ['--prefix-tokens', '0']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/--prefix-tokens.*positive integer/);
    const unknown = audit(output, ['--method', 'beam']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--method beam: unknown method; use one-pass or greedy/);
    expect(existsSync(output)).toBe(false);
  });

  it('the API refuses an empty prompt before loading anything', async () => {
    const { checkAuditOptions } = await import('../../src/audit/audit.js');
    expect(() => checkAuditOptions({ maxTokens: 128, prefixTokens: 0, suffixTokens: 50, approxThreshold: 0.9 })).toThrow(/--prefix-tokens must be a positive integer \(got 0\)/);
  });

  it('a tokenizer larger than the model vocabulary: exit 2, no output', () => {
    const json = JSON.parse(readFileSync(kitFile('tokenizer.json'), 'utf8'));
    json.added_tokens.push({ id: 3000, content: '<|extra|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    const tokenizer = join(dir, 'bigger-tokenizer.json');
    writeFileSync(tokenizer, JSON.stringify(json));
    const output = join(dir, 'mismatch.parquet');
    const result = runCli(['audit', '-i', input, '-o', output, '--model', join(KV_TINY, 'kv.onnx'), '--tokenizer', tokenizer, '--threads', '1']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/tokenizer has 3001 tokens but the model's logits cover only 2048/);
    expect(existsSync(output)).toBe(false);
  });

  it('a row with empty text: exit 2 naming the row, no output and no summary', async () => {
    const rows = (await kitCorpus()).slice(0, 3).map((row) => ({ id: row.id, text: row.text }));
    const bad = writeJsonl(join(dir, 'bad.jsonl'), [...rows, { id: 'empty-one', text: '' }]);
    const output = join(dir, 'bad.parquet');
    const result = runCli([
      'audit', '-i', bad, '-o', output, '--model', join(KV_TINY, 'kv.onnx'), '--tokenizer', kitFile('tokenizer.json'), '--threads', '1',
      '--prefix-tokens', '8', '--suffix-tokens', '4', '--batch-size', '1',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/row 3 \(id empty-one\): 'text' is empty/);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.summary.json`)).toBe(false);
  });
});

describe('memsieve audit in shards, merged: the summary keeps what was computed', () => {
  const dir = tempDir();
  let input: string;
  beforeAll(async () => {
    input = writeJsonl(join(dir, 'four.jsonl'), (await kitCorpus()).slice(0, 4).map((row) => ({ id: row.id, text: row.text })));
  });
  const shardedAudit = (output: string, extra: string[]) => {
    for (const index of ['0', '1']) {
      const result = runCli([
        'audit', '-i', input, '-o', output, '--model', join(KV_TINY, 'kv.onnx'), '--tokenizer', kitFile('tokenizer.json'), '--threads', '1',
        '--prefix-tokens', '20', '--suffix-tokens', '16', '--max-tokens', '64', '--shard-index', index, '--shard-count', '2', '-q', ...extra,
      ]);
      expect(result.status, result.stderr).toBe(0);
    }
    const merged = runCli(['merge', output]);
    expect(merged.status, merged.stderr).toBe(0);
    return JSON.parse(readFileSync(`${output}.summary.json`, 'utf8'));
  };

  it('one-pass: approx_memorized stays null (not a sum of nulls read as 0); --approximate: counts summed', async () => {
    const plain = shardedAudit(join(dir, 'plain.parquet'), []);
    expect(plain).toMatchObject({ rows: 4, audited: 4, shards: 2, method: 'one-pass', decoded: false, approx_memorized: null, approx_memorization_rate: null });
    expect(Object.keys((await readOutputRows(join(dir, 'plain.parquet')))[0])).toEqual(['id', 'text', 'memorized', 'lead']);
    const approx = shardedAudit(join(dir, 'approx.parquet'), ['--approximate']);
    const rows = await readOutputRows(join(dir, 'approx.parquet'));
    expect(approx).toMatchObject({ rows: 4, audited: 4, decoded: true, approx_memorized: rows.filter((r) => r.approx_memorized).length });
    expect(approx.approx_memorization_rate).toBe(approx.approx_memorized / 4);
  });
});
