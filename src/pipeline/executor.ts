// Executors differ only in where a step's ranks run (datatrove's rule): each rank is the same
// stage command, `memsieve KIND ... --shard-index I --shard-count N`, and the merge is `memsieve merge`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import type { Step } from './spec.js';

/** One step as the runner hands it to an executor. */
export interface StepTask {
  step: Step;
  /** the stage command's arguments for a whole run */
  args: string[];
  /** step-scoped folder for logs and scripts */
  logDir: string;
  /** present when the step runs sharded */
  shards?: {
    count: number;
    /** shard indexes without a completion marker: only these run */
    pending: number[];
    /** the output whose parts folder holds the markers */
    primary: string;
    /** merge with --keep-parts (scores a sharded filter joins shard-locally) */
    keepParts?: boolean;
  };
}

export interface Executor {
  readonly name: string;
  /** Runs the step (all pending shards, then the merge); throws a UserError naming what failed. */
  run(task: StepTask): Promise<void>;
}

export type Log = (line: string) => void;

/** The package root: the nearest folder above this module with memsieve's package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'memsieve') return dir;
      } catch {
        // not ours; keep climbing
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the memsieve package root');
    dir = parent;
  }
}

/** The built CLI that shard processes run; they need dist/ even when the runner runs from source. */
export function cliEntry(): string {
  const entry = join(packageRoot(), 'dist', 'cli', 'main.js');
  if (!existsSync(entry)) throw new UserError(`${entry} is missing: build memsieve first (npm run build)`);
  return entry;
}
