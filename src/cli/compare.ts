import type { Command } from 'commander';
import { compareAuditFiles, describeOverlap, parseAuditArgument, type CompareOptions } from '../audit/compare.js';
import { compareShard } from '../audit/compare-shard.js';
import { auditNameWarnings } from '../audit/overlap.js';
import { addShardOptions, resolveShard, type ShardOptions } from '../stage/shard.js';
import { refuseOverwrite } from '../io/no-overwrite.js';
import { withReadProgress } from '../progress.js';
import { addQuiet, collect } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('compare')
    .description('Join audits by id: memorized by each model, easy_to_memorize, inherited, student-only, soft ∩ hard (counts in JSON, ids in --sets, optional SVG)')
    .requiredOption(
      '--audit <name=path[:column]>',
      'an audit output, or a column of another file (e.g. teacher=scores.parquet:teacher_memorized), named teacher, baseline, student, student_hard, … (repeatable)',
      collect,
    )
    .requiredOption('-o, --output <file>', 'overlap report (JSON): counts and rates')
    .option('--sets <file>', 'also write the ids: one row per compared id memorized by any model, with its membership (Parquet)')
    .option('--figure <file>', 'also draw the overlaps as an SVG figure')
    .option('--id-column <name>', 'column joining the audits', 'id')
    .option('--label-column <name>', 'memorization label column of audits given without :column (true/1 = memorized)', 'memorized');
  addQuiet(addShardOptions(command)).action(async (options: { audit: string[]; output: string; sets?: string; figure?: string; idColumn: string; labelColumn: string; quiet?: boolean } & ShardOptions) => {
    await refuseOverwrite({ '--output': options.output, '--sets': options.sets, '--figure': options.figure }, { '--audit': options.audit.map((a) => parseAuditArgument(a).path) });
    const shard = resolveShard(options);
    // said once the report is made, beside it: a failing run needs no warning about its output
    const warn = () => {
      for (const warning of auditNameWarnings(options.audit.map((a) => parseAuditArgument(a).name))) process.stderr.write(`memsieve: warning: ${warning}\n`);
    };
    const compareOptions: CompareOptions = { audits: options.audit, output: options.output, sets: options.sets, figure: options.figure, idColumn: options.idColumn, labelColumn: options.labelColumn };
    if (shard) {
      const counts = await withReadProgress('compare', options.quiet, () => compareShard(compareOptions, shard));
      warn();
      process.stdout.write(`compare shard ${shard.index} of ${shard.count}: ${counts.rows_compared} rows compared; join the shards with \`memsieve merge ${options.output}\`\n`);
      return;
    }
    const report = await withReadProgress('compare', options.quiet, () => compareAuditFiles(compareOptions));
    warn();
    process.stdout.write(describeOverlap(report));
  });
}
