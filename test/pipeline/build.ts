// Shard processes and Slurm jobs run the built CLI (dist/), so pipeline tests build it first, once
// per source change, under a lock so two test files never write dist/ at the same time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const STAMP = join(ROOT, 'dist', '.test-build-stamp');
const LOCK = join(ROOT, 'dist', '.test-build-lock');

function newestSource(dir = join(ROOT, 'src')): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export async function buildOnce(): Promise<void> {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // a lock older than 5 minutes belongs to a killed run
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 300_000) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    const newest = newestSource();
    const built = existsSync(STAMP) ? Number(readFileSync(STAMP, 'utf8')) : 0;
    if (built >= newest && existsSync(CLI)) return;
    // tsc emits even when a file elsewhere has a type error; the tests then show what breaks
    const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { encoding: 'utf8' });
    if (!existsSync(CLI)) throw new Error(`build failed:\n${result.stdout}${result.stderr}`);
    writeFileSync(STAMP, String(newest));
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
