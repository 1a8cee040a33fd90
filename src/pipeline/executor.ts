// Executors differ only in where a step's ranks run (datatrove's rule): each rank is the same
// stage command, `memsieve KIND ... --shard-index I --shard-count N`, and the merge is `memsieve merge`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { RefusedError, UserError } from '../errors.js';
import type { StepKind } from './kinds.js';
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

type CommandModule = { register(program: Command): void };
// static imports, one per kind, so bundlers and test transforms see them; loaded only when used
const COMMANDS: Record<StepKind, () => Promise<CommandModule>> = {
  score: () => import('../cli/score.js'),
  audit: () => import('../cli/audit.js'),
  train: () => import('../cli/train.js'),
  evaluate: () => import('../cli/evaluate.js'),
  filter: () => import('../cli/filter.js'),
  verify: () => import('../cli/verify.js'),
  distill: () => import('../cli/distill.js'),
  compare: () => import('../cli/compare.js'),
  sample: () => import('../cli/sample.js'),
  verdict: () => import('../cli/verdict.js'),
  threshold: () => import('../cli/threshold.js'),
};

/** The commander command of a stage, or undefined when this build does not have it. */
export async function loadCommand(kind: StepKind, program = new Command('memsieve')): Promise<Command | undefined> {
  (await COMMANDS[kind]()).register(program);
  return program.commands.find((c) => c.name() === kind);
}

/** The same stage command as `memsieve KIND ARGS`, run inside this process. */
export async function runInProcess(kind: StepKind, args: string[], stepId: string): Promise<void> {
  const program = new Command('memsieve').exitOverride();
  const command = await loadCommand(kind, program);
  if (!command) throw new UserError(`step "${stepId}": memsieve ${kind} is not available in this build`);
  command.exitOverride();
  const before = process.exitCode;
  const argv = process.argv;
  process.exitCode = undefined;
  // what the stage records as its command line (filter's manifest) is its own, not the runner's
  process.argv = [argv[0], argv[1], kind, ...args];
  try {
    await program.parseAsync(['node', 'memsieve', kind, ...args]);
  } catch (error) {
    if (error instanceof CommanderError) throw new UserError(`step "${stepId}": memsieve ${kind}: ${error.message.replace(/^error: /, '')}`);
    if (error instanceof RefusedError) throw new RefusedError(`step "${stepId}": ${error.message}`);
    if (error instanceof UserError) throw new UserError(`step "${stepId}": ${error.message}`);
    throw error;
  } finally {
    process.argv = argv;
    const code = process.exitCode;
    process.exitCode = before;
    if (code !== undefined && code !== 0) {
      // eslint-disable-next-line no-unsafe-finally
      throw new UserError(`step "${stepId}": memsieve ${kind} exited with status ${code}`);
    }
  }
}
