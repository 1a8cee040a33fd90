// `memsieve audit` as a user runs it, against the kit's golden flags (computed in PyTorch outside
// this project): a slice of the student's audit with memorized and non-memorized rows.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, kitGolden, tempDir } from '../helpers/kit.js';
import { readOutputRows } from './helpers.js';

describe('memsieve audit on the kit student (slice)', () => {
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
      '--max-tokens', '128', '--threads', '1', '--batch-size', '16',
    ]);
  });

  it('exits 0 and agrees with golden mem_student, lead_student and matchfrac_student', async () => {
    expect(result.status, result.stderr).toBe(0);
    const rows = await readOutputRows(output);
    expect(rows).toHaveLength(picked.length + 1);
    let memorized = 0;
    for (const row of rows) {
      if (row.id === 'too-short') continue;
      const g = golden.get(row.id)!;
      expect(row.memorized, row.id).toBe(g.mem_student);
      expect(row.lead, row.id).toBe(Number(g.lead_student));
      expect(row.match_fraction).toBeCloseTo(g.matchfrac_student, 6);
      // an exact copy is also an approximate one
      if (row.memorized) expect(row.approx_memorized).toBe(true);
      if (row.memorized) memorized++;
    }
    expect(memorized).toBe(12);
    // input columns pass through unchanged, in order
    expect(rows.map((r) => r.id)).toEqual(readFileSync(input, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id));
    expect(Object.keys(rows[0])).toEqual(['id', 'text', 'copies', 'memorized', 'lead', 'match_fraction', 'approx_memorized']);
  });

  it('keeps a too-short row with null measures and counts it in the summary', async () => {
    const rows = await readOutputRows(output);
    const short = rows.find((r) => r.id === 'too-short')!;
    expect([short.memorized, short.lead, short.match_fraction, short.approx_memorized]).toEqual([null, null, null, null]);
    expect(result.stderr).toMatch(/id too-short: \d+ tokens < prefix 50 \+ suffix 50/);
    const summary = JSON.parse(readFileSync(`${output}.summary.json`, 'utf8'));
    expect(summary).toMatchObject({ rows: picked.length + 1, audited: picked.length, memorized: 12, skipped: { too_short: 1 } });
    expect(summary.memorization_rate).toBeCloseTo(12 / picked.length, 12);
    // the same summary as one JSON line on stderr
    const last = result.stderr.trim().split('\n').pop()!;
    expect(JSON.parse(last).memorized).toBe(12);
  });
});
