// The risk classifier: fit (train), the risk.json schema, prediction and validation curves.
export {
  RISK_SCHEMA,
  loadRiskModel,
  parseRiskModel,
  serializeRiskModel,
  predictRisk,
  logOddsTerms,
  thresholdForRecall,
  sigmoid,
} from './schema.js';
export type { RiskModel, RiskMetrics, RiskProvenance, RocCurve, PrCurve, MeanStd, InputFile } from './schema.js';
export { DEFAULT_FEATURES, trainRiskModel, writeRiskModel, runRiskProtocol, joinRiskData, readRiskData, sampleRows, summarizeRiskModel } from './train.js';
export type { TrainOptions, ProtocolOptions, ProtocolResult, RiskData } from './train.js';
export { parseFeature, featureSourceColumns, featureValues, transformFeatureValue, nonPositiveError } from './feature.js';
export type { FeatureSpec, FeatureTransform } from './feature.js';
export { fitLogistic, predictLogistic, standardize } from './logistic.js';
export type { LogisticFit, LogisticOptions, Standardization } from './logistic.js';
export { rocCurve, rocAuc, precisionRecallCurve, averagePrecision, binaryMetrics, thinRocCurve, thinPrCurve } from './metrics.js';
export type { BinaryMetrics } from './metrics.js';
export { createRng } from './random.js';
export type { Rng } from './random.js';
export { featureRanges, outsideRange, sortedQuantile } from './range.js';
export type { FeatureRange } from './range.js';
