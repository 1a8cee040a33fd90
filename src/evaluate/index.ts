// Evaluate: a risk model measured on labelled rows it was not trained on.
export { evaluateRiskModel, writeEvaluation, writeEvaluationReport, writeReliabilityFigure, summarizeEvaluation, DEFAULT_CALIBRATION_BINS, EVALUATION_REPORT_FILE } from './evaluate.js';
export type { EvaluateOptions } from './evaluate.js';
export { calibration, uniformEdges } from './calibration.js';
export type { Calibration, Reliability } from './calibration.js';
export { EVALUATION_SCHEMA, loadEvaluation } from './schema.js';
export type { Evaluation, HashedFile } from './schema.js';
