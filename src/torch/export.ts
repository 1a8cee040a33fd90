// `memsieve export`: a Hugging Face checkpoint to ONNX (logits-only and KV-cache graphs), checked against PyTorch.
import { runPythonModule, type PythonEvent } from './python.js';
import { withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';

export interface ExportOptions extends WarningOptions {
  checkpoint: string;
  /** output folder: logits.onnx, kv.onnx, export.json */
  out: string;
  opset?: number;
  /** largest max-abs logit difference accepted between ONNX and PyTorch */
  tolerance?: number;
  python?: string;
}

export interface ExportResult {
  out: string;
  logits_max_abs_diff: number;
  kv_max_abs_diff: number;
}

export function exportOnnx(options: ExportOptions, onEvent: (event: PythonEvent) => void = () => {}): Promise<Warned<ExportResult>> {
  return withWarnings(options, () => exportCheckpoint(options, onEvent));
}

async function exportCheckpoint(options: ExportOptions, onEvent: (event: PythonEvent) => void = () => {}): Promise<ExportResult> {
  const args = ['--checkpoint', options.checkpoint, '--out', options.out];
  if (options.opset !== undefined) args.push('--opset', String(options.opset));
  if (options.tolerance !== undefined) args.push('--tolerance', String(options.tolerance));
  const done = await runPythonModule('memsieve_torch.export', args, onEvent, options.python);
  return { out: String(done.out), logits_max_abs_diff: Number(done.logits_max_abs_diff), kv_max_abs_diff: Number(done.kv_max_abs_diff) };
}
