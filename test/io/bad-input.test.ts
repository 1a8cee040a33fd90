import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { openReader, readTable } from '../../src/io/index.js';
import { tempDir } from '../helpers/kit.js';

async function readError(path: string, options = {}): Promise<Error> {
  try {
    await readTable(path, options);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`reading ${path} did not fail`);
}

function file(name: string, content: string | Uint8Array): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  return path;
}

describe('bad input gives a UserError naming the file (and line)', () => {
  it('missing file', async () => {
    const path = join(tempDir(), 'nope.parquet');
    expect(() => openReader(path)).toThrow(UserError);
    expect(() => openReader(path)).toThrow(`${path}: no such file`);
  });

  it('a file that is not Parquet', async () => {
    const path = file('corpus.parquet', '{"text": "this is JSON, not Parquet"}\n');
    const error = await readError(path);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(`${path}: not a Parquet file`);
  });

  it('a truncated Parquet file', async () => {
    const path = file('cut.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 7), Buffer.from('PAR1')]));
    const error = await readError(path);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(path);
  });

  it('a file that is not Arrow IPC', async () => {
    const path = file('x.arrow', 'hello, not arrow at all');
    const error = await readError(path);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(`${path}: not an Arrow IPC`);
  });

  it('an extension memsieve does not know, without --format', () => {
    const path = file('data.csv', 'text\nhello\n');
    expect(() => openReader(path)).toThrow(UserError);
    // --format is offered only by a command that has it
    expect(() => openReader(path)).toThrow(/data\.csv: cannot tell the format.*rename it with its format's extension; CSV is not read/);
    expect(() => openReader(path, { option: '--input', formatOption: true })).toThrow(/--input .*data\.csv: cannot tell the format.*or pass --format/);
  });

  it('--format overrides the extension', async () => {
    const path = file('data.txt', '{"text":"hi"}\n');
    expect((await readTable(path, { format: 'jsonl' })).numRows).toBe(1);
  });

  it('invalid UTF-8 in JSONL names file and line', async () => {
    const bad = Buffer.concat([Buffer.from('{"text":"ok"}\n{"text":"fine"}\n{"text":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const path = file('bad.jsonl', bad);
    const error = await readError(path);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(`${path}:3: invalid UTF-8`);
  });

  it('invalid UTF-8 in a later batch than the first', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => Buffer.from(`{"text":"row ${i}"}\n`));
    lines[7] = Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xff]), Buffer.from('"}\n')]);
    const error = await readError(file('late.jsonl', Buffer.concat(lines)), { batchRows: 3 });
    expect(error.message).toMatch(/late\.jsonl:8: invalid UTF-8/);
  });

  it('invalid JSON names file and line', async () => {
    const path = file('broken.jsonl', '{"text":"a"}\n\n{"text": "b",}\n');
    const error = await readError(path);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(`${path}:3: invalid JSON`);
  });

  it('a JSONL line that is not an object', async () => {
    const error = await readError(file('arr.jsonl', '{"text":"a"}\n["text"]\n'));
    expect(error.message).toMatch(/arr\.jsonl:2: expected one JSON object per line/);
  });

  it('a JSONL column whose type changes after the first batch names file, line and column', async () => {
    const error = await readError(file('drift.jsonl', '{"id":1}\n{"id":2}\n{"id":"three"}\n'), { batchRows: 2 });
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/drift\.jsonl:3: column 'id' is Int64.*"three"/);
  });

  it('a JSONL key absent from the first batch', async () => {
    const error = await readError(file('key.jsonl', '{"text":"a"}\n{"text":"b","extra":1}\n'), { batchRows: 1 });
    expect(error.message).toMatch(/key\.jsonl:2: key 'extra'/);
  });

  it('a JSONL integer id beyond 2^53 (JSON.parse would change it)', async () => {
    const error = await readError(file('big.jsonl', '{"id":9007199254740993}\n'));
    expect(error.message).toMatch(/big\.jsonl:1: column 'id'.*beyond 2\^53/);
  });

  it('an empty folder', () => {
    expect(() => openReader(tempDir())).toThrow(/directory holds no data files/);
  });
});
