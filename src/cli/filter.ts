import { join } from 'node:path';
import type { Command } from 'commander';
import { refuseOverwrite } from '../io/no-overwrite.js';
import { filterCorpus } from '../filter/filter.js';
import { filterShard } from '../filter/shard.js';
import { addShardOptions, resolveShard } from '../stage/shard.js';
import { withReadProgress } from '../progress.js';
import { addAllowMismatch, addQuiet, addThresholdOptions } from './options.js';
import { DEFAULT_MAX_REMOVED } from '../filter/filter.js';
import { describeScoring } from '../filter/manifest.js';
import { fractionOption } from '../fraction.js';

export function register(program: Command): void {
  const command = program
    .command('filter')
    .description('Split a corpus into D_clean and removed rows by predicted memorization risk; write an auditable removal report')
    .requiredOption('--input <files...>', 'corpus (Parquet, Arrow IPC or JSONL; several files are read in order)')
    .requiredOption('--scores <file>', 'scores file from `memsieve score` (id and the model\'s feature columns, any row order)')
    .option('--model <file>', 'risk model from `memsieve train` (risk.json)')
    .option('--rule <rule>', "instead of a model: remove rows where this rule on score columns holds, e.g. 'baseline_lead >= 20' (docs/filter.md)")
    .option('--evaluation <file>', 'output of `memsieve evaluate` for this model: its figures go into the report')
    .requiredOption('--clean <file>', 'output: rows kept (D_clean), all input columns plus risk')
    .requiredOption('--removed <file>', 'output: rows removed, all input columns plus risk')
    .requiredOption('--report <dir>', 'output folder for manifest.json and report.html')
    .option('--threshold-from <file>', 'the --remove-top cut from `memsieve threshold` (sharded runs: every shard cuts at the corpus-wide value)')
    .option('--id-column <name>', 'id column in corpus and scores', 'id')
    .option('--include-text', 'copy removed rows\' text into manifest.json (it may hold personal data)', false)
    .option('--text-column <name>', 'text column for --include-text', 'text')
    .option('--max-removed <share>', `refuse (exit 3, nothing written) to remove more than this share of the rows, e.g. 0.5 or 50% (default ${100 * DEFAULT_MAX_REMOVED}%)`, fractionOption('--max-removed'));
  addQuiet(addShardOptions(addAllowMismatch(addThresholdOptions(command)))).action(async (options) => {
      // the report folder is written into, not replaced: its files are the outputs
      const reportFiles = ['manifest.json', 'report.html', 'removed-rows.jsonl'].map((name) => join(options.report, name));
      await refuseOverwrite(
        { '--clean': options.clean, '--removed': options.removed, '--report': reportFiles },
        { '--input': options.input, '--scores': options.scores, '--model': options.model, '--evaluation': options.evaluation },
      );
      const shard = resolveShard(options);
      const run = shard ? (o: Parameters<typeof filterCorpus>[0]) => filterShard(o, shard) : filterCorpus;
      const { manifest, manifestPath, reportPath } = await withReadProgress('filter', options.quiet, () => run({
        input: options.input,
        scores: options.scores,
        model: options.model,
        rule: options.rule,
        evaluation: options.evaluation,
        clean: options.clean,
        removed: options.removed,
        report: options.report,
        threshold: options.threshold,
        removeTop: options.removeTop,
        targetRecall: options.targetRecall,
        thresholdFrom: options.thresholdFrom,
        idColumn: options.idColumn,
        includeText: options.includeText,
        textColumn: options.textColumn,
        commandLine: process.argv.slice(2),
        allowMismatch: options.allowMismatch,
        maxRemoved: options.maxRemoved,
      }));
      const s = manifest.summary;
      process.stdout.write(
        `${s.rows_in} rows: kept ${s.kept}${s.unscored ? ` (${s.unscored} ${manifest.rule ? 'with a rule column null' : 'too short to score'})` : ''}, removed ${s.removed} (${(100 * s.removed_fraction).toFixed(2)}%) ${manifest.rule ? `where ${manifest.rule.canonical}` : `at risk >= ${manifest.threshold.value}`}\n` +
          describeScoring(manifest) +
          `report: ${reportPath}\nmanifest: ${manifestPath}\n`,
      );
    });
}
