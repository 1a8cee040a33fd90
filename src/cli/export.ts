import type { Command } from 'commander';
import { describeDistillEvent, exportOnnx } from '../torch/index.js';
import { addQuiet, positiveInt, positiveNumber } from './options.js';
import { refuseOverwrite } from '../io/no-overwrite.js';

export function register(program: Command): void {
  const command = program
    .command('export')
    .description('Export a Hugging Face checkpoint to ONNX (logits-only and KV-cache graphs), each checked against PyTorch')
    .requiredOption('--checkpoint <dir>', 'Hugging Face checkpoint folder (config.json + model.safetensors)')
    .requiredOption('-o, --out <dir>', 'output folder: logits.onnx, kv.onnx, export.json')
    .option('--opset <n>', 'ONNX opset', positiveInt, 17)
    .option('--tolerance <x>', 'largest max-abs logit difference accepted', positiveNumber, 1e-3);
  addQuiet(command).action(async (options: { checkpoint: string; out: string; opset: number; tolerance: number; quiet?: boolean }) => {
      await refuseOverwrite({ '--out': options.out }, { '--checkpoint': options.checkpoint });
      const result = await exportOnnx(options, (event) => {
        const line = options.quiet ? null : describeDistillEvent(event);
        if (line) process.stderr.write(`export: ${line}\n`);
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
