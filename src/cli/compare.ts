import type { Command } from 'commander';
import { checkGroupOptions, compareAuditFiles, describeOverlap, type CompareOptions } from '../audit/compare.js';
import { UserError } from '../errors.js';
import { compareShard } from '../audit/compare-shard.js';
import { addShardOptions, resolveShard, type ShardOptions } from '../stage/shard.js';
import { withReadProgress } from '../progress.js';
import { addAllowMismatch, addQuiet, collect } from './options.js';
import type { GuardedField } from '../stage/provenance.js';

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
    .option('--label-column <name>', 'memorization label column of audits given without :column (true/1 = memorized)', 'memorized')
    .option('--by <column>', 'also every count per subgroup of rows by this column (e.g. copies, a quality score, a risk bin): read by id from the first --audit, or --by-file')
    .option('--by-file <file>', 'the file holding the --by column and the id column (default: the first --audit, which passes the corpus columns through)')
    .option('--bins <spec>', 'how --by groups: auto (categorical up to 12 distinct numbers, else quantile:4), categorical, quantile:N, or rising edges 1,2,4,8,17')
    .option('--distill <name=dir>', "an audited student's distill output folder: its validation loss goes beside its memorization (repeatable)", collect);
  addAllowMismatch(command, 'compare the audits although they were made differently');
  type Options = { allowMismatch?: GuardedField[]; audit: string[]; output: string; sets?: string; figure?: string; idColumn: string; labelColumn: string; by?: string; byFile?: string; bins?: string; distill?: string[]; quiet?: boolean } & ShardOptions;
  addQuiet(addShardOptions(command)).action(async (options: Options) => {
    const shard = resolveShard(options);
    const compareOptions: CompareOptions = {
      audits: options.audit, output: options.output, sets: options.sets, figure: options.figure, idColumn: options.idColumn, labelColumn: options.labelColumn,
      by: options.by, byFile: options.byFile, bins: options.bins, distill: options.distill, allowMismatch: options.allowMismatch,
    };
    checkGroupOptions(compareOptions);
    if (shard && (options.by || options.distill)) throw new UserError('--by and --distill need the whole join in one process: run compare without shards (it reads only ids and labels, so one process is fast)');
    if (shard) {
      const counts = await withReadProgress('compare', options.quiet, () => compareShard(compareOptions, shard));
      process.stdout.write(`compare shard ${shard.index} of ${shard.count}: ${counts.rows_compared} rows compared; join the shards with \`memsieve merge ${options.output}\`\n`);
      return;
    }
    const report = await withReadProgress('compare', options.quiet, () => compareAuditFiles(compareOptions));
    process.stdout.write(describeOverlap(report));
  });
}
