// Public API of the audit stage: the same verbs as `memsieve audit` and `memsieve compare`.
export { auditCorpus, checkAuditOptions, summaryPath, AUDIT_COLUMNS, AUDIT_DEFAULTS, DECODED_COLUMNS, GENERATION_COLUMNS, OSCILLATION_COLUMNS } from './audit.js';
export { auditBatch, AUDIT_METHODS } from './methods.js';
export type { AuditMethod, BatchPlan, RowAudit } from './methods.js';
export { onePassMeasures, promptAfterMiss, stepsAfterMiss, generationFromMiss } from './onepass.js';
export type { OnePassMeasures } from './onepass.js';
export type { AuditOptions, AuditSummary } from './audit.js';
export { audit } from './run.js';
export type { AuditCommandOptions } from './run.js';
export { measureMemorization, editSimilarity, levenshtein, countLead, DEFAULT_APPROX_THRESHOLD } from './measures.js';
export type { MemorizationMeasures } from './measures.js';
export { compareAudits, overlapReport, addOverlapCounts, OverlapJoin, OVERLAP_SCHEMA } from './overlap.js';
export type { AuditLabels, AuditStats, SetCount, OverlapCounts, OverlapReport, StudentOverlap } from './overlap.js';
export { compareAuditFiles, parseAuditArgument, describeOverlap, readAuditLabels } from './compare.js';
export type { CompareOptions, AuditSource } from './compare.js';
export { compareShard } from './compare-shard.js';
export { renderOverlapSvg } from './figure.js';
export { topNgramCount, loopShare, measureOscillation, DEFAULT_OSCILLATION_NGRAM, DEFAULT_OSCILLATION_THRESHOLD } from './hallucination.js';
export type { OscillationMeasures } from './hallucination.js';
