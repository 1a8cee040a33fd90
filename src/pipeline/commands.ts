// What the runner needs from the stage commands, without importing the CLI (which imports the runner
// for `memsieve run`): the CLI registers its commands here once (src/cli/commands.ts), and the runner
// looks them up to check a step's flags and to run a whole step inside its own process.
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import type { StepKind } from './kinds.js';

/** Adds the command of a stage to `program`; resolves to it, or undefined when this build lacks it. */
export type StageCommandLoader = (kind: StepKind, program: Command) => Promise<Command | undefined>;

let registered: StageCommandLoader | undefined;

/** Called by src/cli/commands.ts when it is loaded (the CLI's main and the typed API both load it). */
export function registerStageCommands(loader: StageCommandLoader): void {
  registered = loader;
}

/** The commander command of a stage, or undefined when this build does not have it. */
export async function loadCommand(kind: StepKind, program = new Command('memsieve')): Promise<Command | undefined> {
  if (!registered) throw new Error('no stage commands registered: import memsieve (src/index.ts) or src/cli/commands.ts first');
  return registered(kind, program);
}

/** The same stage command as `memsieve KIND ARGS`, run inside this process. */
export async function runInProcess(kind: StepKind, args: string[], stepId: string): Promise<void> {
  // commander's own error line is left out: the runner prints the UserError below once, naming the step
  const quiet = { writeErr: () => {}, outputError: () => {} };
  const program = new Command('memsieve').exitOverride().configureOutput(quiet);
  const command = await loadCommand(kind, program);
  if (!command) throw new UserError(`step "${stepId}": memsieve ${kind} is not available in this build`);
  command.exitOverride().configureOutput(quiet);
  const before = process.exitCode;
  const argv = process.argv;
  process.exitCode = undefined;
  // what the stage records as its command line (filter's manifest) is its own, not the runner's
  process.argv = [argv[0], argv[1], kind, ...args];
  try {
    await program.parseAsync(['node', 'memsieve', kind, ...args]);
  } catch (error) {
    if (error instanceof CommanderError) throw new UserError(`step "${stepId}": memsieve ${kind}: ${error.message.replace(/^error: /, '')}`);
    // the same error, named by its step: its class and exit code (a refusal's 3) stay as the command threw them
    if (error instanceof UserError) {
      error.message = `step "${stepId}": ${error.message}`;
      throw error;
    }
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
