// Sharded parts merged back must equal the single-process result row for row. The "stages" here are
// written with the shard helpers the real stages use; expected rows come straight from the slice.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Int32, vectorFromArray } from 'apache-arrow';
import { openReader, openWriter, withColumns } from '../../src/io/index.js';
import { mergeShards } from '../../src/pipeline/merge.js';
import { partsDir, preparePart, resolveShard, ShardLedger, writeShardMarker, type Shard } from '../../src/stage/shard.js';
import { tempDir } from '../helpers/kit.js';
import { readRows as readParquetRows, writeKitSlice } from './kit-slice.js';

let dir: string;
let slice: string;
let sliceRows: Record<string, any>[];

beforeAll(async () => {
  dir = tempDir('memsieve-merge-');
  slice = await writeKitSlice(dir);
  sliceRows = await readParquetRows(slice);
});

/** A one-row-per-input-row stage: appends the text length. */
async function lengthShard(output: string, shard: Shard, ledger: boolean): Promise<void> {
  const part = await preparePart(output, shard);
  const writer = await openWriter(part);
  const book = new ShardLedger();
  let rows = 0;
  for await (const batch of openReader(slice, { shard })) {
    const texts = batch.getChild('text')!.toArray() as string[];
    await writer.write(withColumns(batch, { text_chars: vectorFromArray(texts.map((t) => t.length), new Int32()) }));
    book.add(batch.numRows, { output: batch.numRows });
    rows += batch.numRows;
  }
  await writer.close();
  await writeShardMarker({ kind: 'score', shard, inputs: [slice], outputs: { output }, rows: { output: rows }, ...(ledger ? { ledger: book } : {}), stats: { rows } });
}

/** A splitting stage: rows of texts seen once go to clean, repeated ones to removed. */
async function splitShard(clean: string, removed: string, shard: Shard): Promise<void> {
  const cleanWriter = await openWriter(await preparePart(clean, shard));
  const removedWriter = await openWriter(await preparePart(removed, shard));
  const ledger = new ShardLedger();
  const rows = { clean: 0, removed: 0 };
  for await (const batch of openReader(slice, { shard })) {
    const copies = Array.from(batch.getChild('copies')!.toArray() as BigInt64Array, Number);
    const keep = copies.map((c) => c === 1);
    const pick = (want: boolean) => {
      const idx = keep.flatMap((k, i) => (k === want ? [i] : []));
      // rebuild from row slices: keeps every column as it was
      return idx.map((i) => batch.slice(i, i + 1));
    };
    const kept = pick(true);
    const gone = pick(false);
    for (const t of kept) await cleanWriter.write(t);
    for (const t of gone) await removedWriter.write(t);
    if (batch.numRows === 0) await cleanWriter.write(batch), await removedWriter.write(batch);
    ledger.add(batch.numRows, { clean: kept.length, removed: gone.length });
    rows.clean += kept.length;
    rows.removed += gone.length;
  }
  await cleanWriter.close();
  await removedWriter.close();
  await writeShardMarker({ kind: 'split', shard, inputs: [slice], outputs: { clean, removed }, rows, ledger, stats: { kept: rows.clean, removed: rows.removed } });
}

describe('memsieve merge', () => {
  for (const [count, ledger] of [[4, true], [3, false], [16, true]] as const) {
    it(`restores single-process order for a 1:1 stage (${count} shards, ${ledger ? 'ledger' : 'no ledger'})`, async () => {
      const output = join(dir, `len-${count}-${ledger}.parquet`);
      for (let i = count - 1; i >= 0; i--) await lengthShard(output, { index: i, count }, ledger);
      const result = await mergeShards(output);
      expect(result.count).toBe(count);
      expect(result.stats.rows).toBe(sliceRows.length);
      const merged = await readParquetRows(output);
      expect(merged.map((r) => r.id)).toEqual(sliceRows.map((r) => r.id));
      expect(merged.map((r) => r.text_chars)).toEqual(sliceRows.map((r) => (r.text as string).length));
      expect(merged.map((r) => r.copies)).toEqual(sliceRows.map((r) => r.copies));
      expect(existsSync(partsDir(output))).toBe(false);
    });
  }

  for (const count of [4, 3, 16]) {
    it(`interleaves a splitting stage's outputs by its ledger (${count} shards)`, async () => {
      const clean = join(dir, `clean-${count}.parquet`);
      const removed = join(dir, `removed-${count}.parquet`);
      for (let i = 0; i < count; i++) await splitShard(clean, removed, { index: i, count });
      const result = await mergeShards(clean, { count });
      const expectedClean = sliceRows.filter((r) => r.copies === 1n);
      const expectedRemoved = sliceRows.filter((r) => r.copies !== 1n);
      expect(expectedRemoved.length).toBeGreaterThan(0);
      expect(result.outputs.clean.rows).toBe(expectedClean.length);
      expect(result.stats).toEqual({ kept: expectedClean.length, removed: expectedRemoved.length });
      expect((await readParquetRows(clean)).map((r) => r.id)).toEqual(expectedClean.map((r) => r.id));
      expect((await readParquetRows(removed)).map((r) => r.id)).toEqual(expectedRemoved.map((r) => r.id));
    });
  }

  it('lists every missing shard and writes nothing', async () => {
    const output = join(dir, 'gaps.parquet');
    for (const i of [0, 2]) await lengthShard(output, { index: i, count: 5 }, true);
    await expect(mergeShards(output)).rejects.toThrow(/3 of 5 shards are not complete: 1, 3, 4/);
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(partsDir(output)).filter((n) => n.endsWith('.done.json'))).toHaveLength(2);
  });

  it('refuses parts of two shard counts without --shard-count', async () => {
    const output = join(dir, 'mixed.parquet');
    await lengthShard(output, { index: 0, count: 2 }, true);
    await lengthShard(output, { index: 0, count: 3 }, true);
    await expect(mergeShards(output)).rejects.toThrow(/several shard counts \(2, 3\)|several shard counts \(3, 2\)/);
  });

  it('refuses a part with fewer rows than its marker says', async () => {
    const output = join(dir, 'short.parquet');
    await lengthShard(output, { index: 0, count: 2 }, true);
    await lengthShard(output, { index: 1, count: 2 }, true);
    // replace shard 1's part with an empty one
    const first = (await readParquetRows(slice)).length;
    expect(first).toBe(200);
    const part = join(partsDir(output), 'part-00001-of-00002.parquet');
    const writer = await openWriter(part);
    for await (const batch of openReader(slice)) {
      await writer.write(batch.slice(0, 0));
      break;
    }
    await writer.close();
    await expect(mergeShards(output)).rejects.toThrow(/fewer rows than its completion marker/);
    expect(existsSync(output)).toBe(false);
  });
});

describe('resolveShard', () => {
  it('takes flags first, then Slurm array variables, then a Kubernetes completion index', () => {
    expect(resolveShard({ shardIndex: '2', shardCount: '4' }, { SLURM_ARRAY_TASK_ID: '1' })).toEqual({ index: 2, count: 4 });
    expect(resolveShard({}, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' })).toEqual({ index: 1, count: 3 });
    // a resubmitted subset has a smaller SLURM_ARRAY_TASK_COUNT: MEMSIEVE_SHARD_COUNT wins
    expect(resolveShard({}, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '1', MEMSIEVE_SHARD_COUNT: '4' })).toEqual({ index: 3, count: 4 });
    expect(resolveShard({}, { JOB_COMPLETION_INDEX: '0', MEMSIEVE_SHARD_COUNT: '8' })).toEqual({ index: 0, count: 8 });
    expect(resolveShard({}, {})).toBeUndefined();
  });

  it('names the option or variable that is wrong', () => {
    expect(() => resolveShard({ shardIndex: '1' }, {})).toThrow(/--shard-index and --shard-count go together/);
    expect(() => resolveShard({ shardIndex: '4', shardCount: '4' }, {})).toThrow(/shard index 4 is not below the shard count 4/);
    expect(() => resolveShard({ shardIndex: 'x', shardCount: '4' }, {})).toThrow(/--shard-index: expected a whole number/);
    expect(() => resolveShard({}, { JOB_COMPLETION_INDEX: '1' })).toThrow(/MEMSIEVE_SHARD_COUNT/);
  });
});

describe('memsieve merge (CLI)', () => {
  it('exits 2 naming the missing shards', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const output = join(dir, 'cli-gaps.parquet');
    await lengthShard(output, { index: 1, count: 3 }, true);
    const result = runCli(['merge', output]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/memsieve: error: .*cli-gaps\.parquet: 2 of 3 shards are not complete: 0, 2 .*rerun them with --shard-index I --shard-count 3/);
    expect(existsSync(output)).toBe(false);
  });
});
