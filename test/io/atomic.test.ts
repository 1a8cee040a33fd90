import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { openReader, openWriter, sha256File, writeFileAtomic } from '../../src/io/index.js';
import { HOST } from '../../src/io/litter.js';
import { kitFile, tempDir } from '../helpers/kit.js';

describe('atomic outputs', () => {
  for (const name of ['out.parquet', 'out.arrow', 'out.jsonl']) {
    it(`${name}: nothing at the path while writing; abort leaves the folder empty`, async () => {
      const dir = tempDir();
      const path = join(dir, name);
      const writer = await openWriter(path);
      for await (const batch of openReader(kitFile('corpus.parquet'))) {
        await writer.write(batch);
        expect(existsSync(path)).toBe(false);
      }
      expect(readdirSync(dir).length).toBe(1); // the temp file
      expect(readdirSync(dir)[0]).toMatch(new RegExp(`^${name}\\.tmp-${HOST}-${process.pid}-[0-9a-f]{8}$`));
      await writer.abort();
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it('a failed re-run keeps the previous complete output untouched', async () => {
    const dir = tempDir();
    const path = join(dir, 'out.jsonl');
    writeFileSync(path, '{"a":1}\n');
    const writer = await openWriter(path);
    for await (const batch of openReader(kitFile('corpus.parquet'))) await writer.write(batch);
    await writer.abort();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
    expect(readdirSync(dir)).toEqual(['out.jsonl']);
  });

  it('writeFileAtomic replaces the file whole; sha256File matches node:crypto on the bytes', async () => {
    const dir = tempDir();
    const path = join(dir, 'report.json');
    await writeFileAtomic(path, '{"old":true}');
    await writeFileAtomic(path, new TextEncoder().encode('{"rows":5300}'));
    expect(readFileSync(path, 'utf8')).toBe('{"rows":5300}');
    expect(readdirSync(dir)).toEqual(['report.json']);
    const corpus = kitFile('corpus.parquet');
    expect(await sha256File(corpus)).toBe(createHash('sha256').update(readFileSync(corpus)).digest('hex'));
  });

  it('an output folder that does not exist is a UserError naming the path, and nothing is created', async () => {
    const dir = tempDir();
    const path = join(dir, 'missing', 'out.parquet');
    await expect(openWriter(path)).rejects.toThrow(UserError);
    await expect(openWriter(path)).rejects.toThrow(/missing.*does not exist/);
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(UserError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an output path that is a folder is a UserError', async () => {
    const dir = tempDir();
    const folder = join(dir, 'out.parquet');
    (await import('node:fs')).mkdirSync(folder);
    await expect(openWriter(folder)).rejects.toThrow(UserError);
    await expect(openWriter(folder)).rejects.toThrow(`${folder}: is a folder`);
  });
});
