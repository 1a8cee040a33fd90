// memsieve run: the steps of a pipeline file in dependency order, each skipped when its completion
// marker still matches, each sharded when asked, on the chosen executor.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { stepArgs } from './args.js';
import type { Executor, Log, StepTask } from './executor.js';
import { withStepProgress } from '../progress.js';
import { checkStepFlags } from './flags.js';
import { KINDS } from './kinds.js';
import { LocalExecutor } from './local.js';
import { externalInputs, planSteps } from './plan.js';
import { writeFileAtomic } from '../io/atomic.js';
import { missingShards, partsDir } from '../stage/shard.js';
import { SlurmExecutor } from './slurm.js';
import { loadPipeline, type Step } from './spec.js';
import { clearThreshold, dropKeptScoreParts, keepsPartsFor, thresholdStepFor } from './reduce.js';
import { clearStepMarker, configHash, lockWorkdir, removeStrayTemps, removeTempsIn, staleReason, writeStepMarker } from './state.js';
import { refuseOverwrite } from '../io/no-overwrite.js';
import { withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';

export type ExecutorName = 'local' | 'slurm';

export interface RunOptions extends WarningOptions {
  executor?: ExecutorName;
  /** local: concurrent shard processes (default: cores); slurm: array concurrency %W (default: unlimited) */
  workers?: number;
  /** shard count for score, audit and filter steps without their own `shards` (default 1) */
  shards?: number;
  /** `--set name=value` overrides of the file's vars */
  set?: Record<string, string>;
  /** only these step ids (and nothing else), e.g. to rerun one */
  only?: string[];
  /** environment of shard processes and Slurm jobs */
  env?: NodeJS.ProcessEnv;
  /** the runner's lines (steps started, skipped, done); default stderr, nothing with `quiet` */
  log?: Log;
  /** each step's progress (even a step with `quiet: true`), labelled with the step; default: unless `quiet` */
  stepProgress?: boolean;
}

export interface StepOutcome {
  id: string;
  status: 'skipped' | 'ran';
  reason?: string;
  shards?: number;
}

export interface RunSummary {
  pipeline: string;
  executor: ExecutorName;
  steps: StepOutcome[];
}

function makeExecutor(name: ExecutorName, options: RunOptions, log: Log): Executor {
  if (name === 'local') return new LocalExecutor({ workers: options.workers ?? availableParallelism(), log, env: options.env });
  if (name === 'slurm') return new SlurmExecutor({ workers: options.workers, log, env: options.env });
  throw new UserError(`--executor: expected local or slurm, got "${name as string}"`);
}

/** Shard parts written under another configuration or count must not be merged into this run. */
async function resetStaleParts(workdir: string, step: Step, count: number): Promise<void> {
  const path = join(workdir, 'steps', `${step.id}.shards.json`);
  const current = JSON.stringify({ config_hash: configHash(step), count });
  const previous = await readFile(path, 'utf8').catch(() => '');
  if (previous.trim() === current) return;
  for (const key of KINDS[step.kind].shardOutputs) await rm(partsDir(step.outputs[key]), { recursive: true, force: true });
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${current}\n`);
}

export function runPipeline(file: string, options: RunOptions = {}): Promise<Warned<RunSummary>> {
  return withWarnings(options, () => runSteps(file, options));
}

async function runSteps(file: string, options: RunOptions = {}): Promise<RunSummary> {
  const log = options.log ?? (options.quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`));
  const executorName = options.executor ?? 'local';
  if (options.shards !== undefined && (!Number.isInteger(options.shards) || options.shards < 1)) {
    throw new UserError(`--shards: expected a whole number >= 1, got ${options.shards}`);
  }
  if (options.workers !== undefined && (!Number.isInteger(options.workers) || options.workers < 1)) {
    throw new UserError(`--workers: expected a whole number >= 1, got ${options.workers}`);
  }
  const pipeline = loadPipeline(file, { set: options.set });
  const plan = planSteps(pipeline);
  if (options.only) {
    for (const id of options.only) {
      if (!pipeline.steps.some((s) => s.id === id)) throw new UserError(`--only ${id}: ${file} has no step "${id}" (steps: ${pipeline.steps.map((s) => s.id).join(', ')})`);
    }
  }
  await checkStepFlags(pipeline, file);
  const missing = externalInputs(pipeline).filter((i) => !existsSync(i.path));
  if (missing.length) {
    const lines = missing.map((m) => `  step "${m.step.id}" input ${m.key}: ${m.path}`);
    throw new UserError(`${file}: inputs that no step writes are missing:\n${lines.join('\n')}`);
  }
  // no step may write over the pipeline's own inputs (each step also checks its own inputs when it runs)
  await refuseOverwrite(
    Object.fromEntries(pipeline.steps.flatMap((s) => Object.entries(s.outputs).map(([key, path]) => [`step "${s.id}" output ${key}:`, path]))),
    externalInputs(pipeline).reduce<Record<string, string[]>>((byOption, i) => {
      (byOption[`step "${i.step.id}" input ${i.key}:`] ??= []).push(i.path);
      return byOption;
    }, { 'pipeline file': [file] }),
  );
  const executor = makeExecutor(executorName, options, log);
  const showSteps = options.stepProgress ?? !options.quiet;
  const inStep = (task: StepTask) => (showSteps ? withStepProgress(task.step.id, () => executor.run(task)) : executor.run(task));
  const unlock = await lockWorkdir(pipeline.workdir);
  const summary: RunSummary = { pipeline: pipeline.name, executor: executorName, steps: [] };
  try {
    await removeTempsIn(join(pipeline.workdir, 'steps'));
    log(`memsieve run ${pipeline.name}: ${plan.length} steps, executor ${executor.name}, workdir ${pipeline.workdir}`);
    for (const { step } of plan) {
      if (options.only && !options.only.includes(step.id)) continue;
      const reason = await staleReason(pipeline.workdir, step);
      if (reason === null) {
        log(`step ${step.id} (${step.kind}): complete, skipped`);
        summary.steps.push({ id: step.id, status: 'skipped' });
        continue;
      }
      await clearStepMarker(pipeline.workdir, step);
      const strays = await removeStrayTemps(step);
      if (strays.length) log(`  ${step.id}: removed ${strays.length} temp file(s) left by an interrupted run`);
      for (const out of Object.values(step.outputs)) await mkdir(dirname(out), { recursive: true });

      const shardsOf = (s: Step) => (KINDS[s.kind].shardable ? (s.shards ?? options.shards ?? 1) : 1);
      const count = shardsOf(step);
      const logDir = join(pipeline.workdir, 'logs', step.id);
      const task = { step, args: stepArgs(step), logDir };
      if (count > 1) {
        const runShards = async (s: Step, args: string[], why: string) => {
          await resetStaleParts(pipeline.workdir, s, count);
          const primary = s.outputs[KINDS[s.kind].shardOutputs[0]];
          const pending = await missingShards(primary, count);
          const resumed = count - pending.length;
          log(`step ${s.id} (${s.kind}): ${why}; ${count} shards${resumed ? `, ${resumed} already complete` : ''}`);
          const keepParts = keepsPartsFor(s, pipeline, shardsOf);
          await inStep({ step: s, args, logDir: join(pipeline.workdir, 'logs', s.id), shards: { count, pending, primary, keepParts } });
        };
        const cut = thresholdStepFor(step, pipeline.workdir);
        let args = task.args;
        if (cut) {
          // recomputed whenever the filter runs: its ranks are cheap next to the filter's, and never stale
          await clearThreshold(cut.outputs.output);
          await runShards(cut, stepArgs(cut), 'the corpus-wide --remove-top cut (reduce step)');
          args = [...args, '--threshold-from', cut.outputs.output];
        }
        await runShards(step, args, reason);
        const later = plan.slice(plan.findIndex((p) => p.step === step) + 1).map((p) => p.step);
        const dropped = await dropKeptScoreParts(step, later, shardsOf);
        if (dropped) log(`  ${step.id}: removed the score parts kept for it (${dropped})`);
      } else {
        log(`step ${step.id} (${step.kind}): ${reason}; running`);
        await inStep(task);
      }
      await writeStepMarker(pipeline.workdir, step);
      log(`step ${step.id}: done`);
      summary.steps.push({ id: step.id, status: 'ran', reason, ...(count > 1 ? { shards: count } : {}) });
    }
  } finally {
    await unlock();
  }
  return summary;
}
