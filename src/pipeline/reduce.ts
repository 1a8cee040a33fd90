// The reduce step of a sharded filter: a filter step with --remove-top runs, before its shards, a
// `threshold` step over the same scores (map ranks, then `memsieve merge` as the reduce), and its shards
// cut at the value that step wrote (--threshold-from). The same two sharded tasks on every executor.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { partsDir, readMergedRecord } from '../stage/shard.js';
import { flagOf } from './args.js';
import type { Pipeline, Step } from './spec.js';

/** The threshold step a sharded filter step needs first, or null when its threshold needs nothing from the corpus. */
export function thresholdStepFor(step: Step, workdir: string): Step | null {
  if (step.kind !== 'filter') return null;
  const option = (flag: string) => Object.entries(step.options).find(([key]) => flagOf(key) === flag)?.[1];
  const removeTop = option('--remove-top');
  if (removeTop === undefined || removeTop === false) return null;
  const idColumn = option('--id-column');
  const allowMismatch = option('--allow-mismatch');
  return {
    id: `${step.id}.threshold`,
    kind: 'threshold',
    inputs: { scores: step.inputs.scores, model: step.inputs.model },
    outputs: { output: join(workdir, 'steps', `${step.id}.threshold.json`) },
    options: { 'remove-top': removeTop, ...(idColumn !== undefined ? { 'id-column': idColumn } : {}), ...(allowMismatch !== undefined ? { 'allow-mismatch': allowMismatch } : {}) },
    shards: step.shards,
    gpus: 0,
    slurm: step.slurm,
  };
}

/**
 * Keep a sharded score step's parts when a sharded filter step reads its output: filter shard i then
 * joins with score part i only (src/filter/score-parts.ts). Costs the scores' size again on disk.
 */
export function keepsPartsFor(step: Step, pipeline: Pipeline, shardsOf: (s: Step) => number): boolean {
  if (step.kind !== 'score') return false;
  const output = step.outputs.output;
  return pipeline.steps.some((s) => s.kind === 'filter' && shardsOf(s) > 1 && [s.inputs.scores].flat().includes(output));
}

/** Removes a previous cut and its parts. */
export async function clearThreshold(output: string): Promise<void> {
  await rm(output, { force: true });
  await rm(partsDir(output), { recursive: true, force: true });
}

/** After a sharded filter: the score parts kept for it go, unless a later sharded filter reads them too. Returns the folder removed. */
export async function dropKeptScoreParts(step: Step, later: Step[], shardsOf: (s: Step) => number): Promise<string | null> {
  if (step.kind !== 'filter') return null;
  const scores = step.inputs.scores;
  if (typeof scores !== 'string' || !(await readMergedRecord(scores))) return null;
  if (later.some((s) => s.kind === 'filter' && shardsOf(s) > 1 && s.inputs.scores === scores)) return null;
  await rm(partsDir(scores), { recursive: true, force: true });
  return partsDir(scores);
}
