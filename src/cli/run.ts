import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { runPipeline, type ExecutorName } from '../pipeline/run.js';
import { addQuiet, collect, positiveInt } from './options.js';

function assignments(values: string[]): Record<string, string> {
  // no prototype: `--set __proto__=x` must be a key the runner can refuse, not a prototype change
  const out: Record<string, string> = Object.create(null);
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UserError(`--set ${v}: expected name=value`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export function register(program: Command): void {
  const command = program
    .command('run')
    .description('Run a pipeline file (YAML) step by step in dependency order; complete steps are skipped, shards resume')
    .argument('<pipeline>', 'pipeline file, e.g. pipelines/kit.yaml')
    .option('--executor <name>', 'local (worker processes on this machine) or slurm (sbatch job arrays)', 'local')
    .option('--workers <n>', 'local: shard processes at once (default: CPU cores); slurm: array tasks at once (%W)', positiveInt)
    .option('--shards <n>', 'shards for score, audit and filter steps that do not set their own', positiveInt)
    .option('--set <name=value>', "override one of the file's vars (repeatable)", collect, [])
    .option('--only <step>', 'run only this step (repeatable)', collect);
  addQuiet(command).action(async (file: string, options: { executor: string; workers?: number; shards?: number; set: string[]; only?: string[]; quiet?: boolean }) => {
      if (options.executor !== 'local' && options.executor !== 'slurm') {
        throw new UserError(`--executor ${options.executor}: expected local or slurm`);
      }
      const summary = await runPipeline(file, {
        executor: options.executor as ExecutorName,
        workers: options.workers,
        shards: options.shards,
        set: assignments(options.set),
        only: options.only,
        quiet: options.quiet,
      });
      process.stderr.write(`${JSON.stringify(summary)}\n`);
    });
}
