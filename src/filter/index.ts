// Filter: split a corpus into D_clean and removed rows by risk, the removal manifest, and verify.
export type { RemovedRow, SplitHistogram, Threshold, ThresholdMethod } from './types.js';
export { filterCorpus, MANIFEST_FILE, REPORT_FILE } from './filter.js';
export type { FilterOptions, FilterResult } from './filter.js';
export { verifyReport } from './verify.js';
export type { VerifyResult } from './verify.js';
export { loadManifest, MANIFEST_SCHEMA } from './manifest.js';
export type { Manifest, DatasetEntry, FileEntry, TrainedOn } from './manifest.js';
export { chooseThreshold, parseFraction } from './threshold.js';
export { parseRule, evaluateRule, ruleReasons, printRule } from './rule.js';
export type { Rule, RuleNode, Comparison } from './rule.js';
export type { ThresholdChoice } from './threshold.js';
export { MultisetHash, RowHasher, rowDigest, addFingerprints, FINGERPRINT_ALGORITHM, ROW_ENCODING } from './fingerprint.js';
export { readRemovedList, REMOVED_LIST_FILE } from './removed-list.js';
export { filterShard } from './shard.js';
export { computeThreshold, readThresholdFile, THRESHOLD_SCHEMA } from './threshold-file.js';
export type { ThresholdFile, ThresholdOptions } from './threshold-file.js';
