// The risk classifier: fit (train), the risk.json schema, prediction and validation curves.
export {
  RISK_SCHEMA,
  loadRiskModel,
  parseRiskModel,
  serializeRiskModel,
  predictRisk,
  thresholdForRecall,
  sigmoid,
} from './schema.js';
export type { RiskModel, RiskMetrics, RiskProvenance, RocCurve, PrCurve, MeanStd, InputFile } from './schema.js';
