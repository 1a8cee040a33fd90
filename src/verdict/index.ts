// Public API of the verdict stage: the same verb as `memsieve verdict`.
export { judgeDrop, describeVerdict, VERDICT_SCHEMA, VERDICT_FAILED_EXIT_CODE } from './verdict.js';
export type { Verdict, VerdictInputs, VerdictCriteria, DistillRecord } from './verdict.js';
export { verdictFromFiles, readRemovedIds, readDistillRecord } from './read.js';
export type { VerdictOptions } from './read.js';
export { writeVerdict } from './run.js';
