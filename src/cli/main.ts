#!/usr/bin/env node
// Each command lives in its own file and registers itself; command files hold no logic.
import { Command } from 'commander';
import { excerpt, MAX_MESSAGE_CHARS, UserError } from '../errors.js';
import { describeWriteError } from '../io/write-errors.js';
import { VERSION } from '../version.js';
import { addAllCommands } from './commands.js';

const program = new Command('memsieve')
  .description('Find and remove the training examples a distilled student would memorize.')
  .version(VERSION)
  .showHelpAfterError()
  // usage errors (bad option values, missing options) exit 2, like every other input error
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

await addAllCommands(program);

/** Input errors and writes the system refused: one line, exit 2; anything else is a bug and keeps its stack. */
function exitOnUserError(error: unknown): void {
  const message = error instanceof UserError ? error.message : describeWriteError(error);
  if (message === null) return;
  process.stderr.write(`memsieve: error: ${excerpt(message, MAX_MESSAGE_CHARS)}\n`);
  process.exit(2);
}

// a writer failing while other work is in flight can reject outside the awaited chain
process.on('unhandledRejection', (error) => {
  exitOnUserError(error);
  throw error;
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  exitOnUserError(error);
  throw error;
}
