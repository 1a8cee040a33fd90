import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { columnValues } from '../../src/io/index.js';
import { kitCorpus, kitFile } from '../helpers/kit.js';

const ROOT = join(import.meta.dirname, '..', '..');
const copy = (args: string[], input?: Buffer) =>
  execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'copy.ts'), ...args], { cwd: ROOT, input, maxBuffer: 1 << 28 });

describe("'-' streams: Arrow IPC and JSONL over stdout and stdin", () => {
  it('Parquet -> Arrow stream on stdout -> (stdin) -> JSONL on stdout keeps every row', async () => {
    const ids = (await kitCorpus()).map((r) => r.id);
    const arrow = copy([kitFile('corpus.parquet'), '-']);
    const table = tableFromIPC(arrow);
    expect(table.numRows).toBe(5300);
    expect(Array.from(columnValues(table.getChild('id')!))).toEqual(ids);
    const jsonl = copy(['-', '-', 'arrow', 'jsonl'], arrow).toString('utf8').trimEnd().split('\n');
    expect(jsonl.length).toBe(5300);
    expect(jsonl.map((line) => JSON.parse(line).id)).toEqual(ids);
  });
});
