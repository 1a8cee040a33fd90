import type { Command } from 'commander';
import { verifyReport } from '../filter/verify.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('Prove from the files that D_clean ⊎ removed = input as the filter report says; exit 1 listing discrepancies')
    .requiredOption('--report <dir>', 'report folder written by `memsieve filter`')
    .option('--check-risk', "also recompute every row's risk from the scores and model the manifest names (memory: ~60 bytes a row)")
    .action(async (options) => {
      const result = await verifyReport(options.report, { checkRisk: Boolean(options.checkRisk) });
      const { input, clean, removed } = result.rows;
      if (result.ok) {
        const risk = options.checkRisk ? (result.manifest.rule ? "; every row's risk is the rule's on the scores" : "; every row's risk is the model's from the scores") : '';
        process.stdout.write(`verified: ${input} input rows = ${clean} clean + ${removed} removed; files and rows match ${options.report}/manifest.json${risk}\n`);
        return;
      }
      process.stderr.write(`memsieve: verify FAILED for ${options.report}:\n${result.problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.exitCode = 1;
    });
}
