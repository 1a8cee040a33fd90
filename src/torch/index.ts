// The PyTorch steps driven from TypeScript: distillation, ONNX export, token files.
export { distill, describeDistillEvent, trainerArgs, type DistillOptions, type DistillResult, type DistillEpoch, type DistillMode } from './distill.js';
export { exportOnnx, type ExportOptions, type ExportResult } from './export.js';
export { writeTokenFile, type TokenFileOptions, type TokenFileSummary } from './tokens.js';
export { torchPackageDir, pythonExecutable, type PythonEvent } from './python.js';
export {
  startTorchWorker,
  TorchWorker,
  type TorchWorkerOptions,
  type TorchWorkerInfo,
  type ModelStats,
  type ModelName,
} from '../models/torch-worker.js';
