// memsieve targets on the kit's teacher (onnxruntime, CPU): the regurgitation counts against an
// independent recomputation (a plain loop over the corpus's own tokens) and against the kit's golden
// lead_teacher (greedy 50 from 50, computed outside this project); sharded = whole.
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import { runCli } from '../helpers/cli.js';
import { kitFile, kitGolden, readParquetRows, tempDir } from '../helpers/kit.js';

const dir = tempDir('memsieve-targets-');
const corpus = join(dir, 'corpus.parquet');
const PREFIX = 50;
const MAX = 66; // 16 continuation tokens per row: the kit teacher has no KV graph, so CPU decoding is slow
const common = (input: string, output: string) => [
  'targets', '-i', input, '-o', output, '--teacher', kitFile('teacher.onnx'), '--tokenizer', kitFile('tokenizer.json'),
  '--max-tokens', String(MAX), '--prefix-tokens', String(PREFIX), '--threads', '1', '--batch-size', '8', '-q',
];

beforeAll(() => {
  const r = runCli(['sample', '-i', kitFile('corpus.parquet'), '-o', corpus, '--rows', '16', '--seed', '3', '-q']);
  expect(r.status, r.stderr).toBe(0);
});

describe('memsieve targets', () => {
  const output = join(dir, 'targets.parquet');
  let rows: Record<string, any>[];

  beforeAll(async () => {
    const r = runCli(common(corpus, output));
    expect(r.status, r.stderr).toBe(0);
    rows = await readParquetRows(output);
  }, 600_000);

  it('counts regurgitated tokens as a plain loop over the corpus tokens does', async () => {
    const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
    const source = await readParquetRows(corpus);
    expect(rows.map((r) => r.id)).toEqual(source.map((r) => r.id));
    let regurgitatedRows = 0;
    for (let i = 0; i < rows.length; i++) {
      const ids = Array.from(tokenizer.encode(source[i].text)).slice(0, MAX);
      const continuation = Array.from(rows[i].continuation_ids as number[], Number);
      expect(Array.from(rows[i].prompt_ids as number[], Number)).toEqual(ids.slice(0, PREFIX));
      expect(continuation.length).toBe(ids.length - PREFIX);
      let lead = 0;
      while (lead < continuation.length && continuation[lead] === ids[PREFIX + lead]) lead++;
      expect(rows[i].regurgitated_tokens, `row ${i}`).toBe(lead);
      expect(rows[i].regurgitated).toBe(lead === ids.length - PREFIX);
      expect(rows[i].continuation_text).toBe(tokenizer.decode(continuation));
      if (lead === ids.length - PREFIX) regurgitatedRows++;
    }
    const summary = JSON.parse(readFileSync(`${output}.summary.json`, 'utf8'));
    expect(summary).toMatchObject({ command: 'targets', rows: 16, continued: 16, regurgitated: regurgitatedRows, prefix_tokens: PREFIX, max_tokens: MAX });
    expect(summary.tokenizer.sha256).toBe(tokenizer.sha256);
    // the kit teacher memorizes 94.5% of rows: a check that cannot pass on zeros
    expect(regurgitatedRows).toBeGreaterThan(8);
  });

  it('agrees with the kit\'s golden lead of the teacher (greedy from the same 50-token prefix)', async () => {
    const golden = new Map((await kitGolden()).map((g) => [g.id, g]));
    for (const row of rows) {
      const lead = Number(golden.get(row.id)!.lead_teacher);
      expect(row.regurgitated_tokens, String(row.id)).toBe(Math.min(lead, MAX - PREFIX));
    }
  });

  it('two shards merged equal the whole run, summary included', () => {
    const sharded = join(dir, 'sharded.parquet');
    for (const index of [0, 1]) {
      const r = runCli([...common(corpus, sharded), '--shard-index', String(index), '--shard-count', '2']);
      expect(r.status, r.stderr).toBe(0);
    }
    const m = runCli(['merge', sharded, '-q']);
    expect(m.status, m.stderr).toBe(0);
    expect(readFileSync(sharded)).toEqual(readFileSync(output));
    const [whole, merged] = [output, sharded].map((p) => JSON.parse(readFileSync(`${p}.summary.json`, 'utf8')));
    for (const key of ['rows', 'continued', 'regurgitated', 'regurgitated_tokens', 'continuation_tokens', 'oscillatory']) expect(merged[key], key).toBe(whole[key]);
    expect(merged.shards).toBe(2);
  }, 600_000);

  it('refuses a prompt as long as the rows, before loading the teacher', () => {
    const r = runCli([...common(corpus, join(dir, 'never.parquet')), '--prefix-tokens', String(MAX)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/memsieve: error: --prefix-tokens 66 is not below --max-tokens 66/);
    expect(existsSync(join(dir, 'never.parquet'))).toBe(false);
  });
});
