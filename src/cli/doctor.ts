import type { Command } from 'commander';
import { describeDoctor, doctor } from '../doctor/index.js';

/** Exit code when the CPU path (Node, onnxruntime's CPU provider) does not work. */
const CPU_PATH_BROKEN_EXIT_CODE = 1;

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Check what memsieve can use on this machine (onnxruntime CPU/CUDA/WebGPU, the Python it starts and its torch, Slurm, zstd) and how to install what is missing; exit 1 when the CPU path does not work')
    .option('--json', 'print the report as JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const report = await doctor();
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : describeDoctor(report));
      if (!report.cpu_path_works) process.exitCode = CPU_PATH_BROKEN_EXIT_CODE;
    });
}
