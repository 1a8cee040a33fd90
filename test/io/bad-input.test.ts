import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { parquetWriteFile } from 'hyparquet-writer';
import { Dictionary, Int32, List, makeData, makeVector, Field, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
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

  it('invalid UTF-8 in an Arrow IPC file or stream names file, batch, row and column: the rule of Parquet and JSONL', async () => {
    // strings as raw UTF-8 bytes, as another tool may write them; apache-arrow's reader would decode them to U+FFFD
    const utf8Data = (values: Uint8Array[]) => {
      const valueOffsets = new Int32Array(values.length + 1);
      values.forEach((v, i) => (valueOffsets[i + 1] = valueOffsets[i] + v.length));
      const data = new Uint8Array(valueOffsets[values.length]);
      values.forEach((v, i) => data.set(v, valueOffsets[i]));
      return makeData({ type: new Utf8(), length: values.length, valueOffsets, data });
    };
    const enc = (text: string) => new TextEncoder().encode(text);
    const batchOf = (text: Uint8Array[]) => {
      const id = vectorFromArray(text.map((_, i) => `r${i}`), new Utf8());
      const schema = new Schema([new Field('id', new Utf8()), new Field('text', new Utf8())]);
      return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: text.length, nullCount: 0, children: [id.data[0], utf8Data(text)] }));
    };
    const good = batchOf([enc('fine'), enc('ü')]);
    const bad = batchOf([enc('ok'), enc('also ok'), Uint8Array.of(0x61, 0xc3, 0x28)]);
    const table = new Table([good, bad]);
    for (const [name, kind] of [['bad.arrow', 'file'], ['bad.arrows', 'stream']] as const) {
      const path = file(name, tableToIPC(table, kind));
      const error = await readError(path);
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toBe(`${path}: record batch 1, row 2: column 'text': invalid UTF-8; Arrow strings must be UTF-8 (re-encode the column, or drop the row)`);
      // as with Parquet, a column not read is not checked
      expect((await readTable(path, { columns: ['id'] })).numRows).toBe(5);
    }
    // a character cut between two values: all the bytes together are UTF-8, each value alone is not
    const cut = file('cut.arrow', tableToIPC(new Table([batchOf([enc('caf').slice(), Uint8Array.of(0x63, 0xc3), Uint8Array.of(0xa9, 0x21)])]), 'file'));
    expect((await readError(cut)).message).toMatch(/cut\.arrow: record batch 0, row 1: column 'text': invalid UTF-8/);
    // inside a dictionary (named by the first row using the bad entry) and a list
    const dictionary = utf8Data([enc('a'), Uint8Array.of(0xff), enc('b')]);
    const indices = makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 4, data: Int32Array.of(0, 2, 1, 1), dictionary: makeVector(dictionary) });
    const dictPath = file('dict.arrow', tableToIPC(new Table({ text: makeVector(indices) }), 'file'));
    expect((await readError(dictPath)).message).toMatch(/dict\.arrow: record batch 0, row 2: column 'text': invalid UTF-8/);
    const list = makeData({ type: new List(new Field('item', new Utf8())), length: 2, valueOffsets: Int32Array.of(0, 1, 3), child: utf8Data([enc('x'), enc('y'), Uint8Array.of(0xc0)]) });
    const listPath = file('list.arrow', tableToIPC(new Table({ tags: makeVector(list) }), 'file'));
    expect((await readError(listPath)).message).toMatch(/list\.arrow: record batch 0, row 1: column 'tags': invalid UTF-8/);
    // valid text of every width reads unchanged
    const fine = file('fine.arrow', tableToIPC(new Table([good]), 'file'));
    expect((await readTable(fine)).getChild('text')!.toArray()).toEqual(['fine', 'ü']);
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
