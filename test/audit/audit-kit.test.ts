// `memsieve audit` as a user runs it, against the kit's golden flags (computed in PyTorch outside
// this project): a slice of the student's audit with memorized and non-memorized rows, by each method;
// and the one-pass flags of all three kit models on the kit's first 300 rows.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, kitGolden, tempDir } from '../helpers/kit.js';
import { auditBatch } from '../../src/audit/methods.js';
import { loadOnnxModel } from '../../src/models/onnx.js';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import { readOutputRows } from './helpers.js';

describe.each([
  { method: 'one-pass', flags: [], decoded: false },
  { method: 'one-pass', flags: ['--approximate'], decoded: true },
  { method: 'greedy', flags: ['--method', 'greedy'], decoded: true },
])('memsieve audit on the kit student (slice), $method $flags', ({ method, flags, decoded }) => {
  const dir = tempDir();
  const input = join(dir, 'slice.jsonl');
  const output = join(dir, 'audit.parquet');
  let golden: Map<string, Record<string, any>>;
  let picked: Record<string, any>[];
  let result: ReturnType<typeof runCli>;

  beforeAll(async () => {
    const corpus = await kitCorpus();
    golden = new Map((await kitGolden()).map((g) => [g.id, g]));
    const by = (test: (g: Record<string, any>) => boolean, count: number) => corpus.filter((row) => test(golden.get(row.id)!)).slice(0, count);
    picked = [
      ...by((g) => g.mem_student, 12), // memorized: all copies-16 texts
      ...by((g) => !g.mem_student && g.copies === 16n && g.lead_student > 10n, 6), // long partial copies
      ...by((g) => !g.mem_student && g.copies === 8n, 4),
      ...by((g) => g.copies === 1n, 12),
    ];
    const lines = picked.map((row) => JSON.stringify({ id: row.id, text: row.text, copies: Number(row.copies) }));
    lines.splice(5, 0, JSON.stringify({ id: 'too-short', text: 'A short line of text.', copies: 1 }));
    writeFileSync(input, `${lines.join('\n')}\n`);
    result = runCli([
      'audit', '--input', input, '--output', output, '--model', kitFile('student.onnx'), '--tokenizer', kitFile('tokenizer.json'),
      '--max-tokens', '128', '--threads', '1', '--batch-size', '16', ...flags,
    ]);
  });

  it('exits 0 and agrees with golden mem_student, lead_student (and matchfrac_student when decoded)', async () => {
    expect(result.status, result.stderr).toBe(0);
    const rows = await readOutputRows(output);
    expect(rows).toHaveLength(picked.length + 1);
    let memorized = 0;
    for (const row of rows) {
      if (row.id === 'too-short') continue;
      const g = golden.get(row.id)!;
      expect(row.memorized, row.id).toBe(g.mem_student);
      expect(row.lead, row.id).toBe(Number(g.lead_student));
      if (decoded) {
        expect(row.match_fraction).toBeCloseTo(g.matchfrac_student, 6);
        // an exact copy is also an approximate one
        if (row.memorized) expect(row.approx_memorized).toBe(true);
      }
      if (row.memorized) memorized++;
    }
    expect(memorized).toBe(12);
    // input columns pass through unchanged, in order; the decoded columns only when computed
    expect(rows.map((r) => r.id)).toEqual(readFileSync(input, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id));
    const columns = ['id', 'text', 'copies', 'memorized', 'lead', ...(decoded ? ['match_fraction', 'approx_memorized'] : [])];
    expect(Object.keys(rows[0])).toEqual(columns);
  });

  it('keeps a too-short row with null measures and counts it in the summary', async () => {
    const rows = await readOutputRows(output);
    const short = rows.find((r) => r.id === 'too-short')!;
    expect([short.memorized, short.lead]).toEqual([null, null]);
    if (decoded) expect([short.match_fraction, short.approx_memorized]).toEqual([null, null]);
    expect(result.stderr).toMatch(/id too-short: \d+ tokens < prefix 50 \+ suffix 50/);
    const summary = JSON.parse(readFileSync(`${output}.summary.json`, 'utf8'));
    expect(summary).toMatchObject({ rows: picked.length + 1, audited: picked.length, memorized: 12, skipped: { too_short: 1 }, method, decoded });
    expect(summary.memorization_rate).toBeCloseTo(12 / picked.length, 12);
    if (!decoded) expect([summary.approx_memorized, summary.approx_memorization_rate]).toEqual([null, null]);
    else expect(summary.approx_memorized).toBeGreaterThanOrEqual(12);
    // the same summary as one JSON line on stderr
    const last = result.stderr.trim().split('\n').pop()!;
    expect(JSON.parse(last).memorized).toBe(12);
  });
});

// One-pass memorized and lead of all three kit models on the first 300 rows against golden (the whole
// kit, 5,300 rows per model, is `npm run check:audit-kit`, which CI runs).
describe.each(['teacher', 'baseline', 'student'])('one-pass audit of the kit %s, first 300 rows', (name) => {
  it('memorized and lead equal golden on every row', async () => {
    const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
    const corpus = (await kitCorpus()).slice(0, 300);
    const golden = (await kitGolden()).slice(0, 300);
    const model = await loadOnnxModel(kitFile(`${name}.onnx`), { threads: 1, tokenizerVocab: tokenizer.vocabSize });
    try {
      const rows = corpus.map((row) => tokenizer.encodeTruncated(row.text, 128));
      const plan = { method: 'one-pass' as const, prefixTokens: 50, suffixTokens: 50, maxTokens: 128, decoded: false, approxThreshold: 0.9 };
      const audits = [];
      for (let i = 0; i < rows.length; i += 50) audits.push(...(await auditBatch(model, rows.slice(i, i + 50), plan)));
      expect(audits.map((a) => [a.memorized, a.lead])).toEqual(golden.map((g) => [g[`mem_${name}`], Number(g[`lead_${name}`])]));
      expect(audits.filter((a) => a.memorized).length).toBeGreaterThan(name === 'student' ? 5 : 50); // not all false
    } finally {
      await model.close();
    }
  }, 300_000);
});
