#!/usr/bin/env node
// Each command lives in its own file and registers itself; command files hold no logic.
import { Command } from 'commander';
import { excerpt, MAX_MESSAGE_CHARS, UserError } from '../errors.js';
import { describeWriteError } from '../io/write-errors.js';
import { printingWarnings } from '../stage/warnings.js';
import { VERSION } from '../version.js';
import { addAllCommands } from './commands.js';
import { usageLine } from './options.js';

const program = new Command('memsieve')
  .description('Find and remove the training examples a distilled student would memorize.')
  .version(VERSION)
  // usage errors read like every other input error: `memsieve: error: …`, one line, exit 2
  .configureOutput({ outputError: (text, write) => write(`memsieve: ${text}`) })
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

await addAllCommands(program);
// after a usage error, one line of usage rather than the whole help, which buries the reason
for (const command of program.commands) command.showHelpAfterError(usageLine(command));
program.showHelpAfterError("usage: memsieve <command> [options]; 'memsieve --help' lists the commands");

/** Input errors and writes the system refused: one line, exit 2 (3 for a refused outcome); anything else is a bug and keeps its stack. */
function exitOnUserError(error: unknown): void {
  const message = error instanceof UserError ? error.message : describeWriteError(error);
  if (message === null) return;
  process.stderr.write(`memsieve: error: ${excerpt(message, MAX_MESSAGE_CHARS)}\n`);
  process.exit(error instanceof UserError ? error.exitCode : 2);
}

// a writer failing while other work is in flight can reject outside the awaited chain
process.on('unhandledRejection', (error) => {
  exitOnUserError(error);
  throw error;
});

try {
  // every warning is printed once, --quiet or not: it may change what the numbers mean
  await printingWarnings(() => program.parseAsync(process.argv));
} catch (error) {
  exitOnUserError(error);
  throw error;
}
