// Public API of the sample stage: the same verb as `memsieve sample`.
export { sampleCorpus } from './sample.js';
export type { SampleOptions, SampleSummary } from './sample.js';
export { sampleKey, compareKeys, fractionCut, HASH_BITS } from './key.js';
export type { SampleKey } from './key.js';
export { SmallestKeys } from './heap.js';
