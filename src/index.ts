// The typed public API: the same verbs as the CLI (score, audit, compareAuditFiles, trainRiskModel, evaluateRiskModel,
// filterCorpus, verifyReport, distill, exportOnnx, runPipeline, mergeShards) and the pieces they are built from.
export { UserError } from './errors.js';
export { VERSION } from './version.js';
export type * from './models/types.js';

export * from './io/index.js';
export { loadTokenizer, type SpecialTokenPolicy, type Tokenizer, type TokenizerOptions } from './text/tokenizer.js';
export { zlibBytes, zlibEntropy } from './text/zlib.js';
export {
  buildProvenance, checkAuditsAlike, checkMadeAlike, checkScoring, checkScoresProvenance, describeTransfer, GUARDED_FIELDS, MEMORIZATION_FIELDS, modelIdentity, parseAllowMismatch, provenanceKey,
  readAgreedProvenance, readProvenance, TOKEN_FIELDS,
  type AlikeCheck, type Difference, type GuardedField, type MadeInput, type Mismatch, type ModelIdentity, type Provenance, type ProvenanceStage, type ScoringCheck,
} from './stage/provenance.js';
export { readFileMetadata, metadataSidecarPath } from './io/metadata.js';
export { DEFAULT_MAX_REMOVED } from './filter/filter.js';
export { DRIFT_WARN_SHARE, type Drift, type FeatureDrift } from './filter/drift.js';
export { RefusedError, REFUSED_EXIT_CODE } from './errors.js';
export type { Warned, Warning, WarningCode, WarningOptions } from './stage/warnings.js';
export { IdIndex } from './id-index.js';
export { loadOnnxModel, OnnxCausalLM, type OnnxLoadOptions } from './models/onnx.js';

export { score, type ScoreCommandOptions } from './score/run.js';
export { scoreCorpus, SCORE_DEFAULTS, type ScoreOptions, type ScoreSummary } from './score/score.js';
export { SCORE_COLUMNS, type ScoreColumn } from './score/columns.js';
export { OnnxPairScorer } from './score/onnx-pair-scorer.js';
export * from './score/features.js';

export * from './audit/index.js';
export * from './risk/index.js';
export * from './evaluate/index.js';
export * from './filter/index.js';
export * from './report/index.js';
export * from './torch/index.js';
export * from './targets/index.js';
export * from './sample/index.js';
export * from './verdict/index.js';
export * from './doctor/index.js';
export * as pipeline from './pipeline/index.js';
// runPipeline runs stage commands in-process and checks their flags: the CLI's registry provides them
// (the pipeline folder may not import the CLI, which imports it)
import './cli/commands.js';
