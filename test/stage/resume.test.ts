// Resume inside score, audit and targets: kill -9 at random points, rerun the same command, and the output equals
// an uninterrupted run's row by row (and byte for byte: the row groups fall where they would have).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitFile, readParquetRows, tempDir, writeKitHead } from '../helpers/kit.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ROWS = 160;
// small row groups: every 10 written rows are a checkpoint (16 in all)
const GROUP = 10;
const ENV = { MEMSIEVE_ROW_GROUP_ROWS: String(GROUP) };
// kills land by the 8th checkpoint, so even a fast run is stopped well before it publishes its output
const LAST_KILL_AT = 8;
const WINDOW = ['--max-tokens', '32', '--prefix-tokens', '8', '--suffix-tokens', '8', '--batch-size', '8', '--threads', '1'];
const SCORE = (input: string, output: string, extra: string[] = []) => [
  'score', '-i', input, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
  '--tokenizer', kitFile('tokenizer.json'), ...WINDOW, ...extra,
];
const AUDIT = (extra: string[]) => (input: string, output: string) => ['audit', '-i', input, '-o', output, '--model', kitFile('student.onnx'), '--tokenizer', kitFile('tokenizer.json'), ...WINDOW, ...extra];

const TARGETS = (input: string, output: string) => [
  'targets', '-i', input, '-o', output, '--teacher', kitFile('student.onnx'), '--tokenizer', kitFile('tokenizer.json'),
  '--max-tokens', '32', '--prefix-tokens', '8', '--batch-size', '8', '--threads', '1',
];

/** A fixed sequence in [0, 1): the kill points differ from each other, not from run to run. */
function seeded(seed: number) {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

function checkpointsIn(dir: string): number {
  const journal = readdirSync(dir).find((name) => name.endsWith('.ckpt.jsonl'));
  if (!journal) return 0;
  return readFileSync(join(dir, journal), 'utf8').split('\n').filter(Boolean).length - 1;
}

/**
 * Run the CLI and SIGKILL it once its journal holds `target` checkpoints (somewhere inside the next
 * row group: SIGSTOP first, so a fast run cannot race on); no kill when `target` is past LAST_KILL_AT.
 */
function runAndKill(args: string[], dir: string, target: number): Promise<{ signal: NodeJS.Signals | null; status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...ENV }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (data) => (stderr += data));
    const poll = setInterval(() => {
      if (target <= LAST_KILL_AT && checkpointsIn(dir) >= target) {
        clearInterval(poll);
        child.kill('SIGSTOP');
        child.kill('SIGKILL');
      }
    }, 2);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearInterval(poll);
      resolve({ signal, status, stderr });
    });
  });
}

function sliceOfKit(path: string, rows = ROWS, group = GROUP) {
  return writeKitHead(path, rows, group);
}

function summaryOf(stderr: string) {
  return JSON.parse(stderr.trim().split('\n').at(-1)!);
}

async function killAndResume(command: (input: string, output: string) => string[], seed: number) {
  const dir = tempDir();
  const input = join(dir, 'slice.parquet');
  await sliceOfKit(input);
  const full = join(dir, 'full.parquet');
  const whole = runCli([...command(input, full), '--quiet'], { env: ENV });
  expect(whole.status, whole.stderr).toBe(0);

  const outDir = join(dir, 'resumed');
  (await import('node:fs')).mkdirSync(outDir);
  const output = join(outDir, 'out.parquet');
  const random = seeded(seed);
  const kills: number[] = [];
  let rerun: { status: number | null; stderr: string } | undefined;
  for (let kill = 0; kill < 3 && !rerun; kill++) {
    const before = checkpointsIn(outDir);
    const run = await runAndKill(command(input, output), outDir, before + 1 + Math.floor(random() * 3));
    if (run.signal !== 'SIGKILL') rerun = run; // it finished before the kill landed: that was the resumed run
    else {
      kills.push(checkpointsIn(outDir));
      expect(existsSync(output)).toBe(false);
    }
  }
  expect(kills.length).toBeGreaterThan(0);
  rerun ??= runCli([...command(input, output)], { env: ENV });
  expect(rerun.status, rerun.stderr).toBe(0);
  const summary = summaryOf(rerun.stderr);
  expect(summary.resumed_rows, `kills at checkpoints ${kills}; ${rerun.stderr}`).toBe(kills.at(-1)! * GROUP);
  expect(rerun.stderr).toMatch(new RegExp(`resuming after row ${summary.resumed_rows}`));
  expect(readdirSync(outDir)).toEqual(['out.parquet'].concat(existsSync(`${output}.summary.json`) ? ['out.parquet.summary.json'] : []));
  const [a, b] = [await readParquetRows(full), await readParquetRows(output)];
  expect(b.length).toBe(ROWS);
  expect(b).toEqual(a);
  expect(readFileSync(output).equals(readFileSync(full))).toBe(true);
  const { seconds: _s, tokens_per_s: _t, prefixes_per_s: _p, resumed_rows: _r, output: _o, ...counts } = summary;
  const { seconds: _s2, tokens_per_s: _t2, prefixes_per_s: _p2, resumed_rows: _r2, output: _o2, ...expected } = summaryOf(whole.stderr);
  expect(counts).toEqual(expected);
  return { dir, input, output, kills };
}

/** Run the CLI and SIGKILL it once its progress lines say `rows` rows are scored. */
function runAndKillAtRows(args: string[], rows: number): Promise<{ signal: NodeJS.Signals | null; scored: number }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, MEMSIEVE_PROGRESS_SECONDS: '0' };
    delete env.MEMSIEVE_ROW_GROUP_ROWS;
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let scored = 0;
    let stderr = '';
    child.stderr.on('data', (data) => {
      stderr += data;
      for (const match of stderr.matchAll(/ score .*?(\d+)(?:\/\d+)? rows/g)) scored = Math.max(scored, Number(match[1]));
      stderr = stderr.slice(stderr.lastIndexOf('\n') + 1);
      if (scored >= rows) {
        child.kill('SIGSTOP');
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (_status, signal) => resolve({ signal, scored }));
  });
}

describe('resume inside a stage after kill -9', () => {
  beforeAll(() => {
    expect(existsSync(kitFile('teacher.onnx'))).toBe(true);
  });

  it('score: killed three times at random points, the rerun ends with the uninterrupted file', async () => {
    await killAndResume(SCORE, 7);
  }, 240_000);

  it('audit, greedy decoding with the generations kept: the same', async () => {
    await killAndResume(AUDIT(['--keep-generations']), 11);
  }, 240_000);

  it('audit, one pass (the default): the same', async () => {
    await killAndResume(AUDIT([]), 13);
  }, 240_000);

  it('targets (hard-KD continuations and their measures): the same, counts included', async () => {
    await killAndResume(TARGETS, 17);
  }, 240_000);

  it('score: with --checkpoint-seconds a kill at 60% of 2,000 rows reruns only the rest; with the default bound it starts over', async () => {
    const dir = tempDir();
    const input = join(dir, 'corpus.parquet');
    await sliceOfKit(input, 2000, 50);
    // a shorter window and bigger batches than the other tests: 2,000 rows in a few seconds on an idle machine
    const fast = ['--max-tokens', '16', '--prefix-tokens', '4', '--suffix-tokens', '4', '--batch-size', '32'];
    const killAt60 = async (output: string, extra: string[]) => {
      const killed = await runAndKillAtRows(SCORE(input, output, [...fast, ...extra]), 1200);
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.scored).toBeGreaterThanOrEqual(1200);
    };
    // the default bound (minutes) and 10,000-row groups: no checkpoint by 60%, a rerun would start over
    const defaultDir = join(dir, 'default');
    mkdirSync(defaultDir);
    await killAt60(join(defaultDir, 'scores.parquet'), []);
    expect(checkpointsIn(defaultDir)).toBe(0);
    // a bound below the run's length: the rerun scores at most 60% of the rows. What a kill loses is the last
    // 0.2 s plus the batches still queued for the writer (4 of 32 rows), so in rows it grows with the speed:
    // 1024 of the 1200 were kept on an idle 2-core VM, more under load
    const boundedDir = join(dir, 'bounded');
    mkdirSync(boundedDir);
    const output = join(boundedDir, 'scores.parquet');
    await killAt60(output, ['--checkpoint-seconds', '0.2']);
    const rerun = runCli(SCORE(input, output, [...fast, '--checkpoint-seconds', '0.2', '--quiet']), { env: { MEMSIEVE_ROW_GROUP_ROWS: '' } });
    expect(rerun.status, rerun.stderr).toBe(0);
    const summary = summaryOf(rerun.stderr);
    expect(summary.resumed_rows).toBeGreaterThanOrEqual(800);
    expect(summary.rows).toBe(2000);
    // every row once, in input order
    const ids = (await readParquetRows(input)).map((r) => r.id);
    expect((await readParquetRows(output)).map((r) => r.id)).toEqual(ids);
  }, 240_000);

  it('score: changed arguments discard the checkpoint and start from row 0', async () => {
    const dir = tempDir();
    const input = join(dir, 'slice.parquet');
    await sliceOfKit(input);
    const output = join(dir, 'out.parquet');
    expect((await runAndKill(SCORE(input, output), dir, 1)).signal).toBe('SIGKILL');
    const rerun = runCli([...SCORE(input, output, ['--temperature', '2'])], { env: ENV });
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(summaryOf(rerun.stderr).resumed_rows).toBe(0);
    expect(rerun.stderr).toMatch(/removed .*out\.parquet\.tmp-.* \(and its checkpoint\): left by pid \d+, which no longer runs/);
    expect(readdirSync(dir).sort()).toEqual(['out.parquet', 'slice.parquet']);
  }, 240_000);
});
