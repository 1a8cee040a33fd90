// Public API of the targets stage: sequence-level KD targets as auditable data (`memsieve targets`).
export { generateTargets, measureTarget, targetsSummaryPath, checkTargetsOptions, TARGET_COLUMNS, TARGETS_DEFAULTS } from './targets.js';
export type { TargetsOptions, TargetsSummary, RowTarget } from './targets.js';
export { targets } from './run.js';
export type { TargetsCommandOptions } from './run.js';
