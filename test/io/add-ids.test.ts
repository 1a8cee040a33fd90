// memsieve add-ids: a corpus without ids gets the row number (across files, in order) as its id column.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTable } from '../../src/io/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('memsieve add-ids', () => {
  it('numbers the rows of several files in order, id first, every column kept', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.jsonl'), jsonl([{ text: 'one', n: 1 }, { text: 'two', n: 2 }, { text: 'three', n: 3 }]));
    writeFileSync(join(dir, 'b.jsonl'), jsonl([{ text: 'four', n: 4 }, { text: 'five', n: 5 }]));
    const output = join(dir, 'with-ids.parquet');
    const r = runCli(['add-ids', '-i', join(dir, 'a.jsonl'), join(dir, 'b.jsonl'), '-o', output, '--prefix', 'web-']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stderr)).toEqual({ output, rows: 5, id_column: 'id', warnings: [] });
    const table = await readTable(output);
    expect(table.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual(['id: Utf8', 'text: Utf8', 'n: Int64']);
    expect(table.toArray().map((row) => [row.id, row.text])).toEqual([
      ['web-0', 'one'], ['web-1', 'two'], ['web-2', 'three'], ['web-3', 'four'], ['web-4', 'five'],
    ]);
  });

  it('refuses a corpus that already has the column, naming it, and writes nothing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.jsonl'), jsonl([{ id: 'x', text: 'one' }]));
    const r = runCli(['add-ids', '-i', join(dir, 'c.jsonl'), '-o', join(dir, 'out.jsonl')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/c\.jsonl: already has a column "id"/);
    expect(existsSync(join(dir, 'out.jsonl'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['c.jsonl']);
  });

  it('is what filter and train suggest when the id column is missing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'scores.jsonl'), jsonl([{ text: 'one', teacher_ppl: 1.5 }]));
    writeFileSync(join(dir, 'labels.jsonl'), jsonl([{ text: 'one', memorized: true }]));
    const r = runCli(['train', '--scores', join(dir, 'scores.jsonl'), '--labels', join(dir, 'labels.jsonl'), '--output', join(dir, 'risk.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/has no column "id".*memsieve add-ids/);
  });
});
