// Checkpointed writers: a child copying the kit corpus is SIGKILLed mid-way, reruns take its temp
// file over, and the finished file equals an uninterrupted copy byte for byte.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from '../../src/io/checkpoint.js';
import { kitFile, tempDir } from '../helpers/kit.js';

const CHILD = join(import.meta.dirname, 'checkpoint-child.ts');
const ROOT = join(import.meta.dirname, '..', '..');

/** Copy the kit corpus in batches of 200 rows; SIGKILL after `killAfter` rows of this run (0: finish). */
function copy(output: string, killAfter: number, fingerprint = 'A') {
  const run = spawnSync(process.execPath, ['--import', 'tsx', CHILD, kitFile('corpus.parquet'), output, '200', String(killAfter), fingerprint], { cwd: ROOT, encoding: 'utf8' });
  return { signal: run.signal, result: run.status === 0 ? JSON.parse(run.stdout) : null, stderr: run.stderr };
}

function lastCheckpoint(dir: string): { rows: number; stage: { batches: number } } {
  const journal = readdirSync(dir).find((n) => n.endsWith('.ckpt.jsonl'))!;
  return decodeJson(readFileSync(join(dir, journal), 'utf8').trim().split('\n').at(-1)!) as never;
}

describe('checkpointed writers resume after SIGKILL', () => {
  for (const name of ['out.parquet', 'out.jsonl.gz']) {
    it(`${name}: killed twice, resumed, identical to an uninterrupted write`, () => {
      const dir = tempDir();
      const full = join(dir, `full-${name}`);
      expect(copy(full, 0).result.skipped).toBe(0);
      const out = join(dir, name);
      expect(copy(out, 1500).signal).toBe('SIGKILL');
      expect(copy(out, 1100).signal).toBe('SIGKILL');
      const saved = lastCheckpoint(dir);
      const last = copy(out, 0);
      // the second run went on from the first one's checkpoint, the third from the second's
      expect(saved.rows).toBeGreaterThan(1100);
      expect(last.result.skipped).toBe(saved.rows);
      expect(last.result.resumedBatches).toBe(saved.stage.batches);
      expect(readFileSync(out).equals(readFileSync(full))).toBe(true);
      expect(readdirSync(dir).sort()).toEqual([`full-${name}`, name].sort());
    });
  }

  it('another fingerprint starts afresh; a torn last journal line falls back to the checkpoint before it', () => {
    const dir = tempDir();
    const out = join(dir, 'out.parquet');
    expect(copy(out, 1500).signal).toBe('SIGKILL');
    const journal = readdirSync(dir).find((n) => n.endsWith('.ckpt.jsonl'))!;
    appendFileSync(join(dir, journal), '{"rows":99999,"bytes":1');
    expect(copy(out, 0, 'B').result.skipped).toBe(0);
    expect(copy(out, 1500).signal).toBe('SIGKILL');
    const torn = readdirSync(dir).find((n) => n.endsWith('.ckpt.jsonl'))!;
    const saved = lastCheckpoint(dir);
    appendFileSync(join(dir, torn), '{"rows":99999,"bytes":1');
    expect(saved.rows).toBeGreaterThan(0);
    expect(copy(out, 0).result.skipped).toBe(saved.rows);
  });

  it('the journal keeps what Parquet metadata holds: bigints, bytes, -0, NaN, infinities', () => {
    const value = { n: 12345678901234567890n, b: new Uint8Array([0, 255, 7]), z: -0, nan: NaN, inf: -Infinity, s: 'x', a: [1, 2n] };
    const back = decodeJson(encodeJson(value)) as typeof value;
    expect(back).toEqual(value);
    expect(Object.is(back.z, -0)).toBe(true);
  });
});
