// Shards, the datatrove contract: rank I of a fixed count N processes units [I::N] (sorted input files,
// then row groups), writes `part-IIIII-of-NNNNN.parquet` atomically, then its completion marker, last.
// Stage commands call these helpers so every stage names, finds and completes parts the same way.
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';

/** Rank `index` of `count` ranks. */
export interface Shard {
  index: number;
  count: number;
}

/** Options as parsed by commander from `--shard-index` / `--shard-count`. */
export interface ShardOptions {
  shardIndex?: string | number;
  shardCount?: string | number;
}

/** Adds `--shard-index` and `--shard-count` to a stage command. */
export function addShardOptions(command: Command): Command {
  return command
    .option(
      '--shard-index <i>',
      'process only shard I of --shard-count (default: $SLURM_ARRAY_TASK_ID, then $JOB_COMPLETION_INDEX)',
    )
    .option(
      '--shard-count <n>',
      'number of shards; writes OUTPUT.parts/part-IIIII-of-NNNNN.* and a completion marker; join with `memsieve merge` ' +
        '(default: $SLURM_ARRAY_TASK_COUNT, then $MEMSIEVE_SHARD_COUNT)',
    );
}

function parseCount(value: string | number, what: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || String(value).trim() === '') {
    throw new UserError(`${what}: expected a whole number, got "${value}"`);
  }
  return n;
}

/**
 * The shard this process runs, or undefined for a whole (unsharded) run. Flags win; otherwise a Slurm
 * array task (SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT), otherwise a Kubernetes Indexed Job
 * (JOB_COMPLETION_INDEX with MEMSIEVE_SHARD_COUNT, since Kubernetes does not export the completions).
 */
export function resolveShard(options: ShardOptions, env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  let index: number | undefined;
  let count: number | undefined;
  let source: string;
  if (options.shardIndex !== undefined || options.shardCount !== undefined) {
    if (options.shardIndex === undefined || options.shardCount === undefined) {
      throw new UserError('--shard-index and --shard-count go together: give both, or neither');
    }
    index = parseCount(options.shardIndex, '--shard-index');
    count = parseCount(options.shardCount, '--shard-count');
    source = '--shard-index/--shard-count';
  } else if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    index = parseCount(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID');
    const countEnv = env.MEMSIEVE_SHARD_COUNT ?? env.SLURM_ARRAY_TASK_COUNT;
    if (countEnv === undefined) throw new UserError('SLURM_ARRAY_TASK_ID is set but no shard count: pass --shard-count');
    count = parseCount(countEnv, env.MEMSIEVE_SHARD_COUNT !== undefined ? 'MEMSIEVE_SHARD_COUNT' : 'SLURM_ARRAY_TASK_COUNT');
    source = 'SLURM_ARRAY_TASK_ID';
  } else if (env.JOB_COMPLETION_INDEX !== undefined) {
    index = parseCount(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX');
    if (env.MEMSIEVE_SHARD_COUNT === undefined) {
      throw new UserError('JOB_COMPLETION_INDEX is set but MEMSIEVE_SHARD_COUNT is not: set it to the Job\'s completions');
    }
    count = parseCount(env.MEMSIEVE_SHARD_COUNT, 'MEMSIEVE_SHARD_COUNT');
    source = 'JOB_COMPLETION_INDEX';
  } else {
    return undefined;
  }
  if (count < 1) throw new UserError(`${source}: the shard count must be at least 1`);
  if (index >= count) throw new UserError(`${source}: shard index ${index} is not below the shard count ${count}`);
  return { index, count };
}

const DIGITS = 5;

/** `part-00002-of-00004.parquet` (ext '' for a folder). */
export function partName(index: number, count: number, ext = '.parquet'): string {
  const pad = (n: number) => String(n).padStart(DIGITS, '0');
  return `part-${pad(index)}-of-${pad(count)}${ext}`;
}

/** Where the parts of `output` live: `OUTPUT.parts/`. */
export function partsDir(output: string): string {
  return `${resolve(output)}.parts`;
}

/** The part file (or folder, for an output without an extension) shard `index` of `count` writes for `output`. */
export function partPath(output: string, index: number, count: number): string {
  return join(partsDir(output), partName(index, count, extname(output)));
}

/** The completion marker of a shard, kept beside the parts of the stage's first output. */
export function markerPath(output: string, index: number, count: number): string {
  return join(partsDir(output), partName(index, count, '.done.json'));
}

/** Counts from one input batch: rows read, and rows written to each output. */
export interface LedgerEntry {
  rows: number;
  out: Record<string, number>;
}

/**
 * Per input batch, how many rows went to each output. `memsieve merge` needs it to restore the
 * single-process row order for stages that do not write one row per input row (filter); a stage
 * that writes exactly one row per input row needs no ledger.
 */
export class ShardLedger {
  readonly entries: LedgerEntry[] = [];
  add(rowsRead: number, rowsWritten: Record<string, number>): void {
    this.entries.push({ rows: rowsRead, out: { ...rowsWritten } });
  }
}

export const MARKER_VERSION = 1;

/** What a shard's completion marker says; written last. */
export interface ShardMarker {
  version: number;
  kind: string;
  index: number;
  count: number;
  /** absolute input paths in the order given (the unit order sorts them) */
  inputs: string[];
  /** output key (the stage's option name) -> absolute final path; the first one holds the markers */
  outputs: Record<string, string>;
  /** rows written to each output's part */
  rows: Record<string, number>;
  /** present for stages that do not write one row per input row */
  ledger?: LedgerEntry[];
  /** counters summed across shards by `memsieve merge` */
  stats?: Record<string, number>;
  /** anything else the stage wants to carry to its merge (e.g. a partial report) */
  extra?: Record<string, unknown>;
  finished_at: string;
}

export interface ShardCompletion {
  kind: string;
  shard: Shard;
  inputs: string[];
  outputs: Record<string, string>;
  rows: Record<string, number>;
  ledger?: ShardLedger;
  stats?: Record<string, number>;
  extra?: Record<string, unknown>;
}

/** Makes the parts folder of `output` (call before writing a part). */
export async function preparePart(output: string, shard: Shard): Promise<string> {
  await mkdir(partsDir(output), { recursive: true });
  return partPath(output, shard.index, shard.count);
}

/** Writes the shard's completion marker; call after every part is published. */
export async function writeShardMarker(completion: ShardCompletion): Promise<string> {
  const keys = Object.keys(completion.outputs);
  if (keys.length === 0) throw new Error('writeShardMarker: a shard needs at least one output');
  const outputs = Object.fromEntries(keys.map((k) => [k, resolve(completion.outputs[k])]));
  const marker: ShardMarker = {
    version: MARKER_VERSION,
    kind: completion.kind,
    index: completion.shard.index,
    count: completion.shard.count,
    inputs: completion.inputs.map((p) => resolve(p)),
    outputs,
    rows: completion.rows,
    ...(completion.ledger ? { ledger: completion.ledger.entries } : {}),
    ...(completion.stats ? { stats: completion.stats } : {}),
    ...(completion.extra ? { extra: completion.extra } : {}),
    finished_at: new Date().toISOString(),
  };
  const primary = outputs[keys[0]];
  await mkdir(partsDir(primary), { recursive: true });
  const path = markerPath(primary, completion.shard.index, completion.shard.count);
  await writeFileAtomic(path, `${JSON.stringify(marker, null, 1)}\n`);
  return path;
}

/** The marker of shard `index`, or undefined when that shard has not completed. */
export async function readShardMarker(primaryOutput: string, index: number, count: number): Promise<ShardMarker | undefined> {
  const path = markerPath(primaryOutput, index, count);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let marker: ShardMarker;
  try {
    marker = JSON.parse(text) as ShardMarker;
  } catch {
    throw new UserError(`${path}: not a valid completion marker (delete it to rerun that shard)`);
  }
  if (marker.version !== MARKER_VERSION || marker.index !== index || marker.count !== count) {
    throw new UserError(`${path}: marker of another version or shard (delete it to rerun that shard)`);
  }
  return marker;
}

/** Indexes of the shards of `primaryOutput` without a completion marker. */
export async function missingShards(primaryOutput: string, count: number): Promise<number[]> {
  const missing: number[] = [];
  for (let i = 0; i < count; i++) {
    if (!(await readShardMarker(primaryOutput, i, count))) missing.push(i);
  }
  return missing;
}

/** What `memsieve merge --keep-parts` leaves beside the parts: which merged file they make up. */
export interface MergedRecord {
  version: number;
  /** the merged (first) output, its size and modification time when the merge finished */
  output: string;
  size: number;
  mtime_ms: number;
  rows: number;
  count: number;
}

export function mergedRecordPath(output: string): string {
  return join(partsDir(output), 'merged.json');
}

/** The record of kept parts, or undefined when the parts were not kept (or never merged). */
export async function readMergedRecord(output: string): Promise<MergedRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(mergedRecordPath(output), 'utf8')) as MergedRecord;
    return record.version === MARKER_VERSION && record.output === resolve(output) ? record : undefined;
  } catch {
    return undefined;
  }
}
