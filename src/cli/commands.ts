// Every command of the CLI, and what each command takes besides its own options. main.ts registers all
// of them; the pipeline runner gets the stage commands through registerStageCommands (it may not import
// the CLI: `memsieve run` imports the runner).
import type { Command } from 'commander';
import { DEFAULT_MAX_LINE_BYTES, lineLimit } from '../io/jsonl-read.js';
import { registerStageCommands } from '../pipeline/commands.js';
import type { StepKind } from '../pipeline/kinds.js';
import { byteSize } from './options.js';

type CommandModule = { register(program: Command): void };

// static imports, one per command, so bundlers and test transforms see them; loaded only when used
const STAGES: Record<StepKind, () => Promise<CommandModule>> = {
  score: () => import('./score.js'),
  audit: () => import('./audit.js'),
  train: () => import('./train.js'),
  evaluate: () => import('./evaluate.js'),
  filter: () => import('./filter.js'),
  verify: () => import('./verify.js'),
  distill: () => import('./distill.js'),
  compare: () => import('./compare.js'),
  sample: () => import('./sample.js'),
  verdict: () => import('./verdict.js'),
  threshold: () => import('./threshold.js'),
  targets: () => import('./targets.js'),
  counterfactual: () => import('./counterfactual.js'),
};

const OTHERS: Record<string, () => Promise<CommandModule>> = {
  export: () => import('./export.js'),
  run: () => import('./run.js'),
  merge: () => import('./merge.js'),
  'add-ids': () => import('./add-ids.js'),
  doctor: () => import('./doctor.js'),
};

/** Commands whose inputs are never JSONL tables (`run` hands the option to each step instead). */
const NO_TABLE_INPUT = new Set(['run', 'export', 'doctor']);

/** Adds one command to `program`, with the options every table-reading command shares. */
async function addCommand(program: Command, load: () => Promise<CommandModule>): Promise<Command> {
  const known = new Set(program.commands);
  (await load()).register(program);
  const command = program.commands.find((c) => !known.has(c))!;
  if (!NO_TABLE_INPUT.has(command.name())) {
    command
      .option('--max-line-bytes <size>', 'refuse a JSONL line longer than this, e.g. 256MiB (default: 64MiB)', byteSize('--max-line-bytes'))
      // set on every run, so a pipeline step in the runner's process does not inherit the previous step's
      .hook('preAction', (self) => {
        lineLimit.bytes = (self.opts().maxLineBytes as number | undefined) ?? DEFAULT_MAX_LINE_BYTES;
      });
  }
  return command;
}

/** The CLI: every command, in the order `memsieve --help` lists them. */
export async function addAllCommands(program: Command): Promise<void> {
  const { score, audit, targets, compare, counterfactual, train, evaluate, filter, verify, distill, sample, verdict, threshold } = STAGES;
  const { export: exportCmd, run, merge, 'add-ids': addIds, doctor } = OTHERS;
  for (const load of [score, audit, targets, compare, counterfactual, train, evaluate, filter, verify, distill, exportCmd, run, merge, addIds, sample, verdict, threshold, doctor]) {
    await addCommand(program, load);
  }
}

registerStageCommands((kind, program) => addCommand(program, STAGES[kind]));
