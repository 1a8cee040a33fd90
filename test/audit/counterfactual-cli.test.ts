// counterfactual on the kit's golden flags (no models): a split where no row has both a model trained on it
// and one trained without it is refused, not written as a file of nulls; a split where some rows do gives
// them mem(trained on it) − mem(not), checked here by a plain loop over the golden flags.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitFile, kitGolden, readParquetRows, tempDir } from '../helpers/kit.js';

const golden = kitFile('golden.parquet');
const corpus = kitFile('corpus.parquet');
const dir = tempDir('memsieve-cf-cli-');
let rows: Record<string, any>[];

beforeAll(async () => {
  rows = await kitGolden();
});

describe('counterfactual (CLI, golden flags)', () => {
  it('refuses models all trained on every row, naming the option and what to do, and writes nothing', () => {
    const output = join(dir, 'never.parquet');
    const r = runCli(['counterfactual', '--audit', `a=${golden}:mem_student`, '--audit', `b=${golden}:mem_teacher`, '--trained-on', `a=${corpus}`, '--trained-on', `b=${corpus}`, '-o', output, '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`memsieve: error: --trained-on: no row has a counterfactual value (of ${rows.length} rows, ${rows.length} are in every model's training data, 0 in none, the rest lack a measure in or out): train each model on a different part of the corpus, e.g. \`memsieve sample --fraction 0.5 --seed K\``);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.summary.json`)).toBe(false);
  });

  it('a row in one model\'s data and not the other\'s: mem(a) − mem(b), by a plain loop', async () => {
    const half = join(dir, 'half.parquet');
    const inHalf = (i: number) => i % 2 === 0;
    parquetWriteFile({ filename: half, columnData: [{ name: 'id', data: rows.filter((_, i) => inHalf(i)).map((r) => String(r.id)), type: 'STRING' }] });
    const output = join(dir, 'cf.parquet');
    const r = runCli(['counterfactual', '--audit', `a=${golden}:mem_student`, '--audit', `b=${golden}:mem_teacher`, '--trained-on', `a=${corpus}`, '--trained-on', `b=${half}`, '-o', output, '-q']);
    expect(r.status, r.stderr).toBe(0);
    const byId = new Map((await readParquetRows(output)).map((row) => [String(row.id), row]));
    rows.forEach((g, i) => {
      const expected = inHalf(i) ? null : Number(Boolean(g.mem_student)) - Number(Boolean(g.mem_teacher));
      expect(byId.get(String(g.id))!.counterfactual, String(g.id)).toBe(expected);
    });
  });
});
