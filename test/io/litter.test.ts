// Crash litter: temp files of dead writers go with the next run of the same output; a live writer's
// (here, on this host; or any on another host) stay, named in a note.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openReader, openWriter, writeFileAtomic } from '../../src/io/index.js';
import { HOST, stagedPathFor, sweepStaged } from '../../src/io/litter.js';
import { kitFile, tempDir } from '../helpers/kit.js';

/** The PID of a process that has exited (reuse within the test is not a practical concern). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

async function copyKit(output: string, notes: string[]) {
  const writer = await openWriter(output, { note: (m) => notes.push(m) });
  for await (const batch of openReader(kitFile('corpus.parquet'))) await writer.write(batch);
  await writer.close();
}

describe('temp files of killed runs', () => {
  it('a dead process\'s temp file (and checkpoint) is removed by the next run of the same output; nothing else is touched', async () => {
    const dir = tempDir();
    const pid = deadPid();
    const dead = [`out.parquet.tmp-${HOST}-${pid}-0badc0de`, `out.parquet.tmp-${HOST}-${pid}-0badc0de.ckpt.jsonl`, `out.parquet.tmp-${pid}-12345678`];
    for (const name of dead) writeFileSync(join(dir, name), 'PAR1 half a file');
    writeFileSync(join(dir, `other.parquet.tmp-${HOST}-${pid}-0badc0de`), 'not ours');
    const notes: string[] = [];
    await copyKit(join(dir, 'out.parquet'), notes);
    expect(readdirSync(dir).sort()).toEqual(['other.parquet.tmp-' + `${HOST}-${pid}-0badc0de`, 'out.parquet'].sort());
    expect(notes.join('\n')).toMatch(new RegExp(`removed .*out\\.parquet\\.tmp-${HOST}-${pid}-0badc0de \\(and its checkpoint\\): left by pid ${pid}, which no longer runs`));
    expect(notes.join('\n')).toMatch(new RegExp(`removed .*out\\.parquet\\.tmp-${pid}-12345678:`));
  });

  it('a live process\'s temp file is left alone, and so is one written on another host', async () => {
    const dir = tempDir();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const live = `out.jsonl.tmp-${HOST}-${sleeper.pid}-aaaaaaaa`;
      const remote = `out.jsonl.tmp-${HOST}x-other-${deadPid()}-bbbbbbbb`;
      writeFileSync(join(dir, live), '{"a":1}\n');
      writeFileSync(join(dir, remote), '{"a":1}\n');
      const notes: string[] = [];
      await copyKit(join(dir, 'out.jsonl'), notes);
      expect(readdirSync(dir).sort()).toEqual(['out.jsonl', live, remote].sort());
      expect(notes).toHaveLength(2);
      expect(notes[0]).toMatch(new RegExp(`${live}: pid ${sleeper.pid} is still writing .*out\\.jsonl; left alone`));
      expect(notes[1]).toMatch(new RegExp(`${remote}: left by pid \\d+ on host ${HOST}x-other, which may still be writing`));
    } finally {
      sleeper.kill();
    }
  });

  it('small atomic files (reports, markers) sweep their litter too', async () => {
    const dir = tempDir();
    const stale = join(dir, `report.json.tmp-${HOST}-${deadPid()}-cafef00d`);
    writeFileSync(stale, '{"half');
    await writeFileAtomic(join(dir, 'report.json'), '{}');
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(dir)).toEqual(['report.json']);
  });
});

describe('staged outputs of killed runs (.partial-HOST-PID-NAME, filter)', () => {
  it("removes a dead run's staged copies of the output and their temp files; a live one's, another host's and another output's stay", async () => {
    const dir = tempDir();
    const pid = deadPid();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      // a staged JSONL output's sidecar (and its temp) go with it
    const dead = [`.partial-${HOST}-${pid}-c.parquet`, `.partial-${HOST}-${pid}-c.parquet.tmp-${HOST}-${pid}-0badc0de`, `.partial-${pid}-c.parquet`, `.partial-${HOST}-${pid}-c.parquet.metadata.json`, `.partial-${HOST}-${pid}-c.parquet.metadata.json.tmp-${HOST}-${pid}-0badc0de`];
      const kept = [`.partial-${HOST}-${pid}-c.parquet.metadata.jsonx`, `.partial-${HOST}-${sleeper.pid}-c.parquet`, `.partial-elsewhere-7-c.parquet`, `.partial-${HOST}-${pid}-r.parquet`, `.partial-${HOST}-${pid}-xc.parquet`];
      for (const name of [...dead, ...kept]) writeFileSync(join(dir, name), 'half a file');
      const notes: string[] = [];
      const removed = await sweepStaged(join(dir, 'c.parquet'), (m) => notes.push(m));
      expect(removed.map((p) => p.slice(dir.length + 1)).sort()).toEqual([...dead].sort());
      expect(readdirSync(dir).sort()).toEqual([...kept].sort());
      expect(notes.join('\n')).toMatch(new RegExp(`pid ${sleeper.pid} is still writing .*c\\.parquet; left alone`));
      expect(notes.join('\n')).toMatch(/left by pid 7 on host elsewhere, which may still be writing .*c\.parquet; left alone/);
      expect(notes.join('\n')).toMatch(/removed 5 staged file\(s\) of .*c\.parquet .*: left by runs that no longer run/);
      // the staged name keeps the extension, so the format is still told by it
      expect(stagedPathFor(join(dir, 'c.parquet'))).toBe(join(dir, `.partial-${HOST}-${process.pid}-c.parquet`));
    } finally {
      sleeper.kill();
    }
  });
});
