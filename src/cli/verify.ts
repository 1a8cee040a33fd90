import type { Command } from 'commander';
import { verifyReport } from '../filter/verify.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('Prove from the files that D_clean ⊎ removed = input as the filter report says; exit 1 listing discrepancies')
    .requiredOption('--report <dir>', 'report folder written by `memsieve filter`')
    .action(async (options) => {
      const result = await verifyReport(options.report);
      const { input, clean, removed } = result.rows;
      if (result.ok) {
        process.stdout.write(`verified: ${input} input rows = ${clean} clean + ${removed} removed; files and rows match ${options.report}/manifest.json\n`);
        return;
      }
      process.stderr.write(`memsieve: verify FAILED for ${options.report}:\n${result.problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.exitCode = 1;
    });
}
