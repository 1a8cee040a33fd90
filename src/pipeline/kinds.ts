// What the runner needs to know about each stage command: can it be sharded, and which output
// holds its shard markers. Everything else (flags, behaviour) belongs to the command itself.

export const STEP_KINDS = ['score', 'audit', 'train', 'evaluate', 'filter', 'verify', 'distill', 'compare', 'sample', 'verdict', 'threshold', 'targets', 'counterfactual'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface KindInfo {
  /** takes --shard-index/--shard-count and writes parts + markers */
  shardable: boolean;
  /** output keys written per shard, in merge order; the first holds the markers */
  shardOutputs: string[];
}

export const KINDS: Record<StepKind, KindInfo> = {
  score: { shardable: true, shardOutputs: ['output'] },
  audit: { shardable: true, shardOutputs: ['output'] },
  targets: { shardable: true, shardOutputs: ['output'] },
  filter: { shardable: true, shardOutputs: ['clean', 'removed', 'report'] },
  train: { shardable: false, shardOutputs: [] },
  evaluate: { shardable: false, shardOutputs: [] },
  verify: { shardable: false, shardOutputs: [] },
  distill: { shardable: false, shardOutputs: [] },
  compare: { shardable: true, shardOutputs: ['output'] },
  sample: { shardable: false, shardOutputs: [] },
  verdict: { shardable: false, shardOutputs: [] },
  counterfactual: { shardable: false, shardOutputs: [] },
  // the reduce step of a sharded filter with --remove-top (the runner adds it; src/pipeline/reduce.ts)
  threshold: { shardable: true, shardOutputs: ['output'] },
};

export function isStepKind(value: unknown): value is StepKind {
  return typeof value === 'string' && (STEP_KINDS as readonly string[]).includes(value);
}
