// Pipelines: pipeline files, the step runner, shards and their merge, executors (local, slurm).
export { runPipeline } from './run.js';
export type { RunOptions, RunSummary, StepOutcome, ExecutorName } from './run.js';
export { loadPipeline, filePaths } from './spec.js';
export type { Pipeline, Step, FileArg, OptionValue, SlurmSettings, LoadOptions } from './spec.js';
export { planSteps, externalInputs } from './plan.js';
export type { PlannedStep } from './plan.js';
export { STEP_KINDS, KINDS } from './kinds.js';
export type { StepKind, KindInfo } from './kinds.js';
export { mergeShards, readMarkers } from './merge.js';
export type { MergeOptions, MergeResult } from './merge.js';
export {
  addShardOptions,
  resolveShard,
  partName,
  partsDir,
  partPath,
  markerPath,
  preparePart,
  writeShardMarker,
  readShardMarker,
  missingShards,
  ShardLedger,
} from '../stage/shard.js';
export type { Shard, ShardOptions, ShardMarker, ShardCompletion, LedgerEntry } from '../stage/shard.js';
export { filterShard } from '../filter/shard.js';
export { LocalExecutor } from './local.js';
export { SlurmExecutor, arrayChunks, compressRanges } from './slurm.js';
export type { Executor, StepTask } from './executor.js';
