// memsieve sample: membership recomputed independently in Python (hashlib, the formula docs/pipelines.md
// gives), the same subset whatever the row order or sharding, every column passed through.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Int64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { openWriter } from '../../src/io/index.js';
import { sampleCorpus } from '../../src/sample/index.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, readParquetRows, tempDir } from '../helpers/kit.js';
import { lacks, PYTHON } from '../helpers/system.js';

type Row = Record<string, any>;
const dir = tempDir('memsieve-sample-');
let corpus: Row[];

/** Python's answer: which keys a sample keeps (fraction) or the n smallest keys (rows). */
function pythonSample(keys: string[], seed: number, mode: { fraction: number } | { rows: number }): Set<string> {
  const script = `
import hashlib, json, sys
req = json.load(sys.stdin)
def digest(v): return hashlib.sha256(f"{req['seed']}\\0{v}".encode()).digest()
keys = req["keys"]
if "fraction" in req: out = [k for k in keys if int.from_bytes(digest(k)[:6], "big") < int(req["fraction"] * 2**48)]
else: out = sorted(set(keys), key=digest)[: req["rows"]]
json.dump(out, sys.stdout)
`;
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify({ keys, seed, ...mode }), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return new Set(JSON.parse(r.stdout) as string[]);
}

async function writeRows(path: string, rows: Row[], groupRows = 1000): Promise<void> {
  const writer = await openWriter(path, { rowGroupRows: groupRows });
  for (let i = 0; i < rows.length; i += groupRows) {
    const part = rows.slice(i, i + groupRows);
    await writer.write(new Table({
      id: vectorFromArray(part.map((r) => r.id as string), new Utf8()),
      text: vectorFromArray(part.map((r) => r.text as string), new Utf8()),
      copies: vectorFromArray(part.map((r) => BigInt(r.copies)), new Int64()),
    }));
  }
  await writer.close();
}

/** A fixed pseudo-random permutation (not Math.random: the test must be repeatable). */
function shuffled<T>(rows: T[]): T[] {
  const out = [...rows];
  let state = 12345;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const ids = (rows: Row[]) => rows.map((r) => r.id as string);
const sorted = (values: string[]) => [...values].sort();

beforeAll(async () => {
  corpus = await kitCorpus();
});

// the reference is Python's own hashlib and sort: skipped without python3 (npm test only)
describe.skipIf(lacks('python3'))('memsieve sample --fraction', () => {
  it('keeps exactly the rows Python picks, in input order, with every column unchanged', async () => {
    const out = join(dir, 'f10.parquet');
    const summary = await sampleCorpus({ input: kitFile('corpus.parquet'), output: out, fraction: 0.1, seed: 7, quiet: true });
    const got = await readParquetRows(out);
    const want = pythonSample(ids(corpus), 7, { fraction: 0.1 });
    expect(sorted(ids(got))).toEqual(sorted([...want]));
    expect(got).toEqual(corpus.filter((r) => want.has(r.id))); // order, text, copies (int64) as they were
    expect(summary).toMatchObject({ rows_in: corpus.length, rows_out: want.size, fraction: 0.1, seed: 7, key_column: 'id' });
    // the share kept is Binomial(n, f): within 4 standard deviations
    const n = corpus.length;
    const sd = Math.sqrt(n * 0.1 * 0.9);
    expect(Math.abs(got.length - n * 0.1)).toBeLessThanOrEqual(4 * sd);
  });

  it('gives the same subset for shuffled rows, other row groups, and the corpus split into files of another format', async () => {
    const reference = sorted(ids(await readParquetRows(join(dir, 'f10.parquet'))));
    const shuffledPath = join(dir, 'shuffled.parquet');
    await writeRows(shuffledPath, shuffled(corpus), 333);
    await sampleCorpus({ input: shuffledPath, output: join(dir, 'f10-shuffled.parquet'), fraction: 0.1, seed: 7, quiet: true });
    expect(sorted(ids(await readParquetRows(join(dir, 'f10-shuffled.parquet'))))).toEqual(reference);

    const shards = join(dir, 'shards');
    mkdirSync(shards);
    const rows = shuffled(corpus);
    for (let s = 0; s < 4; s++) {
      const part = rows.filter((_, i) => i % 4 === s).map((r) => JSON.stringify({ ...r, copies: Number(r.copies) }));
      writeFileSync(join(shards, `part-${s}.jsonl`), `${part.join('\n')}\n`);
    }
    const out = join(dir, 'f10-shards.jsonl');
    await sampleCorpus({ input: shards, output: out, fraction: 0.1, seed: 7, quiet: true });
    const fromShards = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id as string);
    expect(sorted(fromShards)).toEqual(reference);
  });

  it('another seed gives another subset; --key-column keeps rows sharing a value together', async () => {
    const other = join(dir, 'f10-seed8.parquet');
    await sampleCorpus({ input: kitFile('corpus.parquet'), output: other, fraction: 0.1, seed: 8, quiet: true });
    const got = ids(await readParquetRows(other));
    expect(new Set(got)).toEqual(pythonSample(ids(corpus), 8, { fraction: 0.1 }));
    const first = new Set(ids(await readParquetRows(join(dir, 'f10.parquet'))));
    expect(got.filter((id) => first.has(id)).length).toBeLessThan(got.length / 2);

    const byText = join(dir, 'f30-text.parquet');
    await sampleCorpus({ input: kitFile('corpus.parquet'), output: byText, fraction: 0.3, keyColumn: 'text', quiet: true });
    const kept = new Set((await readParquetRows(byText)).map((r) => r.text as string));
    expect(kept).toEqual(pythonSample(corpus.map((r) => r.text), 0, { fraction: 0.3 }));
    // every copy of a repeated text is in or out with the others
    const repeated = corpus.filter((r) => Number(r.copies) > 1);
    expect(repeated.length).toBeGreaterThan(100);
    const keptCopies = (await readParquetRows(byText)).filter((r) => Number(r.copies) > 1);
    expect(keptCopies.length).toBe(repeated.filter((r) => kept.has(r.text)).length);
  });

  it('an empty sample keeps the columns', async () => {
    const out = join(dir, 'empty.parquet');
    const want = pythonSample(ids(corpus), 0, { fraction: 1e-9 });
    expect(want.size).toBe(0);
    const summary = await sampleCorpus({ input: kitFile('corpus.parquet'), output: out, fraction: 1e-9, quiet: true });
    expect(summary.rows_out).toBe(0);
    const r = runCli(['sample', '-i', out, '-o', join(dir, 'empty-again.jsonl'), '--fraction', '1', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stderr.trim().split('\n').pop()!)).toMatchObject({ rows_in: 0, rows_out: 0 });
  });
});

describe.skipIf(lacks('python3'))('memsieve sample --rows', () => {
  it('keeps the n rows with the smallest hashes, as Python sorting every key finds them, in input order', async () => {
    for (const n of [1, 250, 5299]) {
      const out = join(dir, `rows-${n}.parquet`);
      await sampleCorpus({ input: kitFile('corpus.parquet'), output: out, rows: n, seed: 3, quiet: true });
      const want = pythonSample(ids(corpus), 3, { rows: n });
      const got = await readParquetRows(out);
      expect(got.length).toBe(n);
      expect(got).toEqual(corpus.filter((r) => want.has(r.id)));
    }
    // shuffled input: the same rows
    await sampleCorpus({ input: join(dir, 'shuffled.parquet'), output: join(dir, 'rows-250-shuffled.parquet'), rows: 250, seed: 3, quiet: true });
    expect(sorted(ids(await readParquetRows(join(dir, 'rows-250-shuffled.parquet'))))).toEqual(sorted(ids(await readParquetRows(join(dir, 'rows-250.parquet')))));
  });

  it('more rows than the corpus holds: all of them; rows sharing a key straddling the cut: all of them', async () => {
    const all = join(dir, 'rows-all.parquet');
    await sampleCorpus({ input: kitFile('corpus.parquet'), output: all, rows: 10_000, quiet: true });
    expect((await readParquetRows(all)).length).toBe(corpus.length);
    // by text: the cut is the n-th smallest key over rows; every row with a key at or below it is kept
    const texts = corpus.map((r) => r.text as string);
    const order = [...pythonSample(texts, 0, { rows: texts.length })]; // distinct texts, smallest key first
    const copiesOf = new Map<string, number>();
    for (const t of texts) copiesOf.set(t, (copiesOf.get(t) ?? 0) + 1);
    let unique = 0; // rows before the first repeated text in key order
    while (copiesOf.get(order[unique]) === 1) unique++;
    const group = copiesOf.get(order[unique])!;
    const out = join(dir, 'rows-text.parquet');
    await sampleCorpus({ input: kitFile('corpus.parquet'), output: out, rows: unique + 1, keyColumn: 'text', quiet: true });
    const kept = new Set(order.slice(0, unique + 1));
    expect(group).toBeGreaterThan(1);
    expect((await readParquetRows(out)).length).toBe(unique + group);
    expect(new Set((await readParquetRows(out)).map((r) => r.text))).toEqual(kept);
  });
});

describe('memsieve sample, bad input', () => {
  it('refuses to write over its input, and names the missing or null key column', async () => {
    const input = join(dir, 'input.parquet');
    await writeRows(input, corpus.slice(0, 50));
    const before = readFileSync(input);
    let r = runCli(['sample', '-i', input, '-o', input, '--fraction', '0.5']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--output .*input\.parquet is the same file as --input/); // the central check (src/io/no-overwrite.ts)
    expect(readFileSync(input)).toEqual(before);

    r = runCli(['sample', '-i', input, '-o', join(dir, 'x.parquet')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/give one of --fraction F or --rows N/);
    r = runCli(['sample', '-i', input, '-o', join(dir, 'x.parquet'), '--fraction', '1.5']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--fraction.*\(0, 1\]/);
    r = runCli(['sample', '-i', input, '-o', join(dir, 'x.parquet'), '--rows', '5', '--id-column', 'doc']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/has no column "doc" to sample by \(its columns: id, text, copies\)/);

    const nulls = join(dir, 'nulls.jsonl');
    writeFileSync(nulls, '{"id":"a","text":"x"}\n{"id":null,"text":"y"}\n');
    r = runCli(['sample', '-i', nulls, '-o', join(dir, 'x.jsonl'), '--fraction', '0.5']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nulls\.jsonl: row 1 has a null 'id'/);
    r = runCli(['sample', '-i', '-', '--format', 'jsonl', '-o', join(dir, 'x.jsonl'), '--rows', '1'], { input: '{"id":"a"}\n' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--rows reads the input twice, so not from stdin/);
    expect(existsSync(join(dir, 'x.parquet')) || existsSync(join(dir, 'x.jsonl'))).toBe(false);
  });
});
