#!/usr/bin/env node
// Each command lives in its own file and registers itself; command files hold no logic.
import { Command } from 'commander';
import { UserError } from '../errors.js';
import { describeWriteError } from '../io/write-errors.js';
import { VERSION } from '../version.js';
import * as score from './score.js';
import * as audit from './audit.js';
import * as compare from './compare.js';
import * as train from './train.js';
import * as evaluate from './evaluate.js';
import * as filter from './filter.js';
import * as verify from './verify.js';
import * as distill from './distill.js';
import * as exportCmd from './export.js';
import * as run from './run.js';
import * as merge from './merge.js';
import * as addIds from './add-ids.js';
import * as sample from './sample.js';
import * as verdict from './verdict.js';
import * as threshold from './threshold.js';
import * as doctor from './doctor.js';
import { usageLine } from './options.js';

const program = new Command('memsieve')
  .description('Find and remove the training examples a distilled student would memorize.')
  .version(VERSION)
  // usage errors read like every other input error: `memsieve: error: …`, one line, exit 2
  .configureOutput({ outputError: (text, write) => write(`memsieve: ${text}`) })
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

for (const command of [score, audit, compare, train, evaluate, filter, verify, distill, exportCmd, run, merge, addIds, sample, verdict, threshold, doctor]) {
  command.register(program);
}
// after a usage error, one line of usage rather than the whole help, which buries the reason
for (const command of program.commands) command.showHelpAfterError(usageLine(command));
program.showHelpAfterError("usage: memsieve <command> [options]; 'memsieve --help' lists the commands");

/** Input errors and writes the system refused: one line, exit 2 (3 for a refused outcome); anything else is a bug and keeps its stack. */
function exitOnUserError(error: unknown): void {
  const message = error instanceof UserError ? error.message : describeWriteError(error);
  if (message === null) return;
  process.stderr.write(`memsieve: error: ${message}\n`);
  process.exit(error instanceof UserError ? error.exitCode : 2);
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
