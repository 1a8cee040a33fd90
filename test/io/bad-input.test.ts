import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { parquetWriteFile } from 'hyparquet-writer';
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

  it('invalid UTF-8 in a Parquet string names file, row and column: the same rule as JSONL, no U+FFFD', async () => {
    const path = join(tempDir(), 'bad-utf8.parquet');
    const utf8 = (text: string) => new TextEncoder().encode(text);
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: 'id', data: ['a', 'b', 'c'], type: 'STRING' },
        { name: 'text', data: [utf8('fine'), utf8('ok, ü'), Uint8Array.of(0x61, 0xc3, 0x28)], type: 'STRING' },
      ],
    });
    const error = await readError(path);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(`${path}: row 2: column 'text': invalid UTF-8`);
    // valid rows alone read as they are
    expect((await readTable(path, { columns: ['id'] })).numRows).toBe(3);
  });

  it('invalid UTF-8 in a later batch than the first', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => Buffer.from(`{"text":"row ${i}"}\n`));
    lines[7] = Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xff]), Buffer.from('"}\n')]);
    const error = await readError(file('late.jsonl', Buffer.concat(lines)), { batchRows: 3 });
    expect(error.message).toMatch(/late\.jsonl:8: invalid UTF-8/);
  });

  it('a JSONL line longer than --max-line-bytes is refused naming file and line: plain, gzip and zstd', async () => {
    const long = `{"text":"${'a'.repeat(5000)}"}`;
    const text = `{"text":"short"}\n${long}\n{"text":"after"}\n`;
    const zstd = createRequire(import.meta.url)('zstd-napi') as { compress(data: Uint8Array): Uint8Array };
    for (const [name, bytes] of [['long.jsonl', Buffer.from(text)], ['long.jsonl.gz', gzipSync(text)], ['long.jsonl.zst', zstd.compress(Buffer.from(text))]] as const) {
      const path = file(name, bytes);
      const error = await readError(path, { maxLineBytes: 4096 });
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toBe(`${path}:2: line longer than 4 KiB (--max-line-bytes); split the record, or raise the limit if it is meant to be one row`);
      // at the limit it is read
      expect((await readTable(path, { maxLineBytes: long.length })).numRows).toBe(3);
    }
  });

  it('JSONL lines split across many chunks read back exactly (one line spans forty 1 MiB reads)', async () => {
    const texts = ['x'.repeat(40 << 20), '', 'é'.repeat(3), 'z'.repeat((1 << 20) - 12)];
    const path = file('spans.jsonl', texts.map((t, i) => JSON.stringify({ i, text: t })).join('\r\n') + '\n');
    const table = await readTable(path, { batchRows: 2 });
    expect(table.numRows).toBe(4);
    for (const [i, t] of texts.entries()) expect(table.getChild('text')!.get(i)).toBe(t);
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
