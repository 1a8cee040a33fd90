// A JSONL output's metadata sidecar (`<file>.metadata.json`) is bound to its data file's bytes: written after
// the data is in place, removed before a new one is, and refused when read beside other bytes. A filter
// killed with SIGKILL mid-way leaves its old outputs and their sidecars as they were, and no sidecar beside
// its staged (partial) files; the next run sweeps what it left.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileMetadata } from '../../src/io/metadata.js';
import { runCli } from '../helpers/cli.js';
import { makeKitInputs, type KitInputs } from '../filter/kit-setup.js';

const ROOT = join(import.meta.dirname, '..', '..');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let kit: KitInputs;
let corpusJsonl: string;

beforeAll(async () => {
  kit = await makeKitInputs();
  corpusJsonl = join(kit.dir, 'corpus.jsonl');
  writeFileSync(corpusJsonl, kit.corpusRows.map((r) => `${JSON.stringify({ id: String(r.id), text: String(r.text) })}\n`).join(''));
});

const filterArgs = (input: string, out: string, extra: string[] = []) => [
  'filter', '--input', input, '--scores', kit.scores, '--model', kit.model,
  '--clean', join(out, 'clean.jsonl'), '--removed', join(out, 'removed.jsonl'), '--report', join(out, 'report'), '--remove-top', '5%', '--quiet', ...extra,
];

/** The kit corpus as an Arrow IPC stream of 500-row batches (what filter reads from stdin). */
function corpusStream(): Uint8Array {
  const rows = kit.corpusRows;
  const chunks = [];
  for (let start = 0; start < rows.length; start += 500) {
    const slice = rows.slice(start, start + 500);
    chunks.push(new Table({ id: vectorFromArray(slice.map((r) => String(r.id)), new Utf8()), text: vectorFromArray(slice.map((r) => String(r.text)), new Utf8()) }));
  }
  return tableToIPC(new Table(chunks.flatMap((t) => t.batches)), 'stream');
}

/** Runs filter reading its corpus from a pipe that stays open after `bytes`, and SIGKILLs it once its staged clean file exists (a 60 s guard kills it anyway). */
function filterKilledMidway(out: string, bytes: Uint8Array): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...filterArgs('-', out)], { cwd: ROOT, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.on('error', () => undefined); // the kill closes the pipe
    child.stdin.write(bytes);
    const poll = setInterval(() => {
      if (readdirSync(out).some((f) => f.startsWith('.partial-') && f.includes('-clean.jsonl'))) {
        clearInterval(poll);
        // the pipe is still open: the run waits for more rows, mid-way through the corpus
        setTimeout(() => child.kill('SIGKILL'), 300);
      }
    }, 5);
    const guard = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.on('error', reject);
    child.on('close', (_status, signal) => {
      clearInterval(poll);
      clearTimeout(guard);
      resolve(signal);
    });
  });
}

describe('JSONL metadata sidecars', () => {
  it("records the size and SHA-256 of its data file's bytes, and is refused beside other bytes, naming the sidecar", async () => {
    const out = join(kit.dir, 'bound');
    const first = runCli(filterArgs(corpusJsonl, out));
    expect(first.status, first.stderr).toBe(0);
    const clean = join(out, 'clean.jsonl');
    const sidecar = JSON.parse(readFileSync(`${clean}.metadata.json`, 'utf8'));
    expect(sidecar['memsieve.data_file.sha256']).toBe(sha256(clean));
    expect(sidecar['memsieve.data_file.bytes']).toBe(String(readFileSync(clean).length));
    // the binding is the sidecar's own: not passed on as the file's metadata
    const metadata = await readFileMetadata(clean);
    expect([...metadata.keys()].some((k) => k.startsWith('memsieve.data_file'))).toBe(false);
    expect(metadata.size).toBeGreaterThan(0);

    // another tool writes the file again (here: the removed rows copied over it), leaving the old sidecar
    copyFileSync(join(out, 'removed.jsonl'), clean);
    await expect(readFileMetadata(clean)).rejects.toThrow(/clean\.jsonl\.metadata\.json: describes another .*clean\.jsonl \(sha256 [0-9a-f]{12}…, \d+ bytes\) than the one there now \(\d+ bytes\): the file was written again without it; delete the sidecar or write .* again with memsieve/);
    const sampled = runCli(['sample', '-i', clean, '-o', join(out, 'sampled.jsonl'), '--fraction', '100%', '-q']);
    expect(sampled.status).toBe(2);
    expect(sampled.stderr).toMatch(/^memsieve: error: .*clean\.jsonl\.metadata\.json: describes another .*clean\.jsonl/);
    expect(sampled.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(out, 'sampled.jsonl'))).toBe(false);

    // the same size with other bytes is refused too (the hash, not only the size)
    const bytes = readFileSync(join(out, 'removed.jsonl'));
    writeFileSync(`${clean}.metadata.json`, JSON.stringify({ ...sidecar, 'memsieve.data_file.bytes': String(bytes.length) }));
    await expect(readFileMetadata(clean)).rejects.toThrow(/describes another/);
    // a sidecar that does not say which bytes it describes (or whose data file is gone) is refused
    const { ['memsieve.data_file.sha256']: _sha, ...unbound } = sidecar;
    writeFileSync(`${clean}.metadata.json`, JSON.stringify(unbound));
    await expect(readFileMetadata(clean)).rejects.toThrow(/clean\.jsonl\.metadata\.json: does not say which bytes of .*clean\.jsonl it describes/);
  }, 120_000);

  it('a filter killed mid-way leaves the last run\'s outputs paired with their sidecars and no sidecar beside its partial files; the next run sweeps them', async () => {
    const out = join(kit.dir, 'killed');
    const done = runCli(filterArgs(corpusJsonl, out));
    expect(done.status, done.stderr).toBe(0);
    const before = Object.fromEntries(['clean.jsonl', 'clean.jsonl.metadata.json', 'removed.jsonl', 'removed.jsonl.metadata.json'].map((f) => [f, sha256(join(out, f))]));

    const stream = corpusStream();
    expect(await filterKilledMidway(out, stream.subarray(0, stream.length >> 1))).toBe('SIGKILL');
    const left = readdirSync(out).filter((f) => f.startsWith('.partial-'));
    expect(left.some((f) => f.includes('-clean.jsonl'))).toBe(true);
    // nothing staged looks complete: no staged sidecar, and the published pairs are the last run's, still bound
    expect(left.filter((f) => f.includes('.metadata.json'))).toEqual([]);
    for (const [file, hash] of Object.entries(before)) expect(sha256(join(out, file)), file).toBe(hash);
    for (const file of ['clean.jsonl', 'removed.jsonl']) expect((await readFileMetadata(join(out, file))).size).toBeGreaterThan(0);

    const rerun = runCli(filterArgs(corpusJsonl, out, ['--remove-top', '10%']));
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith('.partial-') || f.includes('.tmp-'))).toEqual([]);
    expect(sha256(join(out, 'removed.jsonl'))).not.toBe(before['removed.jsonl']);
    expect(JSON.parse(readFileSync(join(out, 'removed.jsonl.metadata.json'), 'utf8'))['memsieve.data_file.sha256']).toBe(sha256(join(out, 'removed.jsonl')));
  }, 120_000);
});
