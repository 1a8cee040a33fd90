// The local executor: whole steps in this process; shards as up to W child processes, then the
// merge in this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';
import { shardArgs } from './args.js';
import { runInProcess } from './commands.js';
import { cliEntry, packageRoot, type Executor, type Log, type StepTask } from './executor.js';
import { mergeShards } from './merge.js';
import { currentStep } from '../progress.js';

export interface LocalOptions {
  /** concurrent shard processes */
  workers: number;
  log: Log;
  env?: NodeJS.ProcessEnv;
}

async function tail(path: string, lines = 5): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
}

export class LocalExecutor implements Executor {
  readonly name = 'local';
  constructor(private readonly options: LocalOptions) {}

  async run(task: StepTask): Promise<void> {
    const { step } = task;
    if (!task.shards) {
      await runInProcess(step.kind, task.args, step.id);
      return;
    }
    const { count, pending, primary } = task.shards;
    await mkdir(task.logDir, { recursive: true });
    const entry = cliEntry();
    const guard = pathToFileURL(join(packageRoot(), 'dist', 'pipeline', 'orphan-guard.js')).href;
    const failed: Array<{ index: number; log: string }> = [];
    const queue = [...pending];
    const runOne = async (index: number): Promise<void> => {
      const log = join(task.logDir, `shard-${index}.log`);
      const out = createWriteStream(log);
      await new Promise<void>((resolve) => out.once('open', () => resolve()));
      const child = spawn(process.execPath, ['--import', guard, entry, step.kind, ...task.args, ...shardArgs(index, count)], {
        stdio: ['ignore', out, out],
        // MEMSIEVE_STEP: the shard's log shows its progress even when the step's options say quiet
        env: { ...(this.options.env ?? process.env), MEMSIEVE_EXIT_WITH_PARENT: String(process.pid), ...(currentStep() ? { MEMSIEVE_STEP: currentStep() } : {}) },
      });
      children.add(child);
      const code = await new Promise<number | null>((resolve) => child.once('close', (c, signal) => resolve(signal ? null : c)));
      children.delete(child);
      out.close();
      if (code === 0) this.options.log(`  ${step.id}: shard ${index}/${count} done`);
      else failed.push({ index, log });
    };
    // SIGINT or SIGTERM to the runner alone (not its process group) ends the shards at once, then the runner
    // with the same signal; the orphan guard covers SIGKILL, at its next timer tick
    const children = new Set<ChildProcess>();
    const stop = (signal: NodeJS.Signals) => {
      for (const child of children) child.kill('SIGKILL');
      removeHandlers();
      process.kill(process.pid, signal);
    };
    const removeHandlers = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const workers = Math.max(1, Math.min(this.options.workers, pending.length));
    if (pending.length) this.options.log(`  ${step.id}: running shards ${pending.join(', ')} of ${count} on ${workers} local worker(s); logs in ${task.logDir}`);
    else this.options.log(`  ${step.id}: all ${count} shards complete; merging`);
    try {
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runOne(next);
        }),
      );
    } finally {
      removeHandlers();
    }
    if (failed.length) {
      failed.sort((a, b) => a.index - b.index);
      const details = await Promise.all(failed.map(async (f) => `  shard ${f.index} (log ${f.log}):\n${await tail(f.log)}`));
      throw new UserError(
        `step "${step.id}": ${failed.length} of ${count} shards failed; not merged. Run again to rerun only them.\n${details.join('\n')}`,
      );
    }
    const merged = await mergeShards(primary, { count, keepParts: task.shards.keepParts });
    const rows = Object.entries(merged.outputs).map(([k, o]) => `${k} ${o.rows} rows`).join(', ');
    this.options.log(`  ${step.id}: merged ${count} shards (${rows})`);
  }
}
