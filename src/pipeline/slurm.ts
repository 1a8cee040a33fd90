// The Slurm executor: pending shards as a job array (`%W` concurrency, `--gres=gpu:G`, `--requeue`,
// a log per task), then `memsieve merge` as a job that depends on the array (`afterok`) and dies
// with it (`--kill-on-invalid-dep=yes`); `--wait` on that job. Whole steps are one job.
import { execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../errors.js';
import { shellQuote } from './args.js';
import { cliEntry, type Executor, type Log, type StepTask } from './executor.js';
import { missingShards } from '../stage/shard.js';
import type { SlurmSettings, Step } from './spec.js';

const run = promisify(execFile);

export interface SlurmOptions {
  /** most array tasks running at once (`%W`); unset = as many as Slurm allows */
  workers?: number;
  log: Log;
  env?: NodeJS.ProcessEnv;
  /** `sbatch` binary (default: from PATH) */
  sbatch?: string;
}

/** Pending indexes grouped into arrays whose task ids stay below MaxArraySize: rank = offset + task id. */
export function arrayChunks(pending: number[], maxArraySize: number): Array<{ offset: number; spec: string }> {
  const sorted = [...pending].sort((a, b) => a - b);
  const chunks: Array<{ offset: number; indexes: number[] }> = [];
  for (const index of sorted) {
    const offset = Math.floor(index / maxArraySize) * maxArraySize;
    const last = chunks[chunks.length - 1];
    if (last && last.offset === offset) last.indexes.push(index);
    else chunks.push({ offset, indexes: [index] });
  }
  return chunks.map(({ offset, indexes }) => ({ offset, spec: compressRanges(indexes.map((i) => i - offset)) }));
}

/** 0,1,2,5,7,8 → "0-2,5,7-8" (sbatch --array syntax). */
export function compressRanges(indexes: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j] + 1) j++;
    parts.push(i === j ? `${indexes[i]}` : `${indexes[i]}-${indexes[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** A path as sbatch's --output reads it: `%` starts a filename pattern (%j, %A), so a literal one is `%%`. */
export function slurmFilename(path: string): string {
  return path.replaceAll('%', '%%');
}

function settingsArgs(s: SlurmSettings): string[] {
  const args: string[] = [];
  if (s.partition) args.push(`--partition=${s.partition}`);
  if (s.time) args.push(`--time=${s.time}`);
  if (s['cpus-per-task']) args.push(`--cpus-per-task=${s['cpus-per-task']}`);
  if (s.mem) args.push(`--mem=${s.mem}`);
  return [...args, ...(s.extra ?? [])];
}

async function writeScript(path: string, body: string[]): Promise<string> {
  await writeFile(path, ['#!/bin/bash', 'set -eu', ...body, ''].join('\n'));
  await chmod(path, 0o755);
  return path;
}

export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  private maxArraySize?: number;
  constructor(private readonly options: SlurmOptions) {}

  private async sbatch(args: string[], wait = false): Promise<{ id: string; code: number }> {
    const bin = this.options.sbatch ?? 'sbatch';
    this.options.log(`  submit: ${[bin, ...args].map(shellQuote).join(' ')}`);
    if (!wait) {
      try {
        const { stdout } = await run(bin, ['--parsable', ...args], { env: this.options.env ?? process.env });
        const id = stdout.trim().split(';')[0];
        this.options.log(`    → job ${id}`);
        return { id, code: 0 };
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { stderr?: string };
        if (e.code === 'ENOENT') throw new UserError(`--executor slurm: ${bin} not found; install Slurm or use --executor local; run \`memsieve doctor\` to check this machine`);
        throw new UserError(`sbatch failed: ${(e.stderr ?? e.message).trim()}`);
      }
    }
    // --wait: sbatch prints the id first, then blocks until the job ends and exits with its status
    return new Promise((resolve, reject) => {
      const child = spawn(bin, ['--parsable', '--wait', ...args], { env: this.options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let announced = false;
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const id = stdout.trim().split('\n')[0]?.split(';')[0];
        if (!announced && /^\d+$/.test(id ?? '')) {
          announced = true;
          this.options.log(`    → job ${id} (waiting)`);
        }
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'ENOENT' ? new UserError(`--executor slurm: ${bin} not found; install Slurm or use --executor local; run \`memsieve doctor\` to check this machine`) : e),
      );
      child.once('close', (code) => {
        const id = stdout.trim().split('\n')[0]?.split(';')[0] ?? '';
        if (!/^\d+$/.test(id)) reject(new UserError(`sbatch failed: ${stderr.trim() || `exit ${code}`}`));
        else resolve({ id, code: code ?? 1 });
      });
    });
  }

  private async arrayLimit(): Promise<number> {
    if (this.maxArraySize === undefined) {
      try {
        const { stdout } = await run('scontrol', ['show', 'config'], { env: this.options.env ?? process.env });
        this.maxArraySize = Number(/MaxArraySize\s*=\s*(\d+)/.exec(stdout)?.[1] ?? 1001);
      } catch {
        this.maxArraySize = 1001; // Slurm's default
      }
    }
    return this.maxArraySize;
  }

  /** JobState of a finished job while Slurm still remembers it (MinJobAge), e.g. CANCELLED. */
  private async jobState(id: string): Promise<string | undefined> {
    try {
      const { stdout } = await run('scontrol', ['show', 'job', id], { env: this.options.env ?? process.env });
      return /JobState=(\S+)/.exec(stdout)?.[1];
    } catch {
      return undefined;
    }
  }

  private common(step: Step, name: string): string[] {
    return [`--job-name=memsieve-${name}`, `--chdir=${process.cwd()}`, ...settingsArgs(step.slurm)];
  }

  async run(task: StepTask): Promise<void> {
    const { step } = task;
    await mkdir(task.logDir, { recursive: true });
    const cli = [process.execPath, cliEntry()].map(shellQuote).join(' ');
    const gres = step.gpus > 0 ? [`--gres=gpu:${step.gpus}`] : [];

    if (!task.shards) {
      const script = await writeScript(join(task.logDir, 'step.sh'), [`exec ${cli} ${[step.kind, ...task.args].map(shellQuote).join(' ')}`]);
      const log = join(task.logDir, 'step.log');
      const job = await this.sbatch([...this.common(step, step.id), ...gres, `--output=${slurmFilename(log)}`, script], true);
      const state = await this.jobState(job.id);
      if (job.code !== 0 || (state && state !== 'COMPLETED')) {
        throw new UserError(`step "${step.id}": Slurm job ${job.id} failed (${state ?? `exit ${job.code}`}); log: ${log}`);
      }
      return;
    }

    const { count, pending, primary } = task.shards;
    const arrays: string[] = [];
    if (pending.length) {
      // the task's rank: the array index plus this chunk's offset (arrays are capped at MaxArraySize)
      const shardScript = await writeScript(join(task.logDir, 'shard.sh'), [
        'I=$(( ${MEMSIEVE_SHARD_OFFSET:-0} + SLURM_ARRAY_TASK_ID ))',
        // one log per rank, appended across attempts (the array index differs from the rank past MaxArraySize)
        `exec >>${shellQuote(task.logDir)}/shard-$I.log 2>&1`,
        'echo "== $(date -u +%FT%TZ) job ${SLURM_JOB_ID:-?} on $(hostname -s): shard $I, GPUs ${CUDA_VISIBLE_DEVICES:-none}"',
        `exec ${cli} ${[step.kind, ...task.args].map(shellQuote).join(' ')} --shard-index "$I" --shard-count ${count}`,
      ]);
      const limit = await this.arrayLimit();
      for (const chunk of arrayChunks(pending, limit)) {
        const throttle = this.options.workers ? `%${this.options.workers}` : '';
        const job = await this.sbatch([
          ...this.common(step, step.id),
          `--array=${chunk.spec}${throttle}`,
          ...gres,
          '--requeue',
          `--export=ALL,MEMSIEVE_SHARD_OFFSET=${chunk.offset}`,
          // Slurm's own messages; the task's output goes to shard-RANK.log
          `--output=${join(slurmFilename(task.logDir), 'slurm-%A_%a.out')}`,
          shardScript,
        ]);
        arrays.push(job.id);
      }
    }
    const mergeScript = await writeScript(join(task.logDir, 'merge.sh'), [
      `exec ${cli} merge ${shellQuote(primary)} --shard-count ${count}${task.shards.keepParts ? ' --keep-parts' : ''}`,
    ]);
    const mergeLog = join(task.logDir, 'merge.log');
    const submitted = Date.now() - 1000;
    const dependency = arrays.length ? [`--dependency=afterok:${arrays.join(':')}`, '--kill-on-invalid-dep=yes'] : [];
    const merge = await this.sbatch([...this.common(step, `${step.id}-merge`), ...dependency, `--output=${slurmFilename(mergeLog)}`, mergeScript], true);
    // sbatch --wait also exits 0 for a job cancelled before it ran: ask Slurm how it ended
    const state = await this.jobState(merge.id);
    // (a job Slurm has already forgotten succeeded if it wrote the output after submission)
    const written = existsSync(primary) && statSync(primary).mtimeMs >= submitted;
    if (merge.code === 0 && (state === 'COMPLETED' || (state === undefined && written))) return;
    const missing = await missingShards(primary, count);
    if (missing.length) {
      const logs = missing.map((i) => join(task.logDir, `shard-${i}.log`)).join(', ');
      throw new UserError(
        `step "${step.id}": shards ${missing.join(', ')} of ${count} failed; merge job ${merge.id} ${state ? `ended ${state}` : 'did not run'}. ` +
          `Run again to resubmit only them. Logs: ${logs}`,
      );
    }
    throw new UserError(`step "${step.id}": merge job ${merge.id} failed (${state ?? `exit ${merge.code}`}); log: ${mergeLog}`);
  }
}
