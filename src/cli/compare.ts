import type { Command } from 'commander';
import { compareAuditFiles, describeOverlap, parseAuditArgument } from '../audit/compare.js';
import { refuseOverwrite } from '../io/no-overwrite.js';
import { withReadProgress } from '../progress.js';
import { addQuiet, collect } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('compare')
    .description('Join audits by id: memorized by each model, easy_to_memorize, inherited, student-only, soft ∩ hard (JSON, optional SVG)')
    .requiredOption('--audit <name=path>', 'an audit output, named teacher, baseline, student, student_hard, … (repeatable)', collect)
    .requiredOption('-o, --output <file>', 'overlap report (JSON)')
    .option('--figure <file>', 'also draw the overlaps as an SVG figure')
    .option('--id-column <name>', 'column joining the audits', 'id')
    .option('--label-column <name>', 'memorization label column (true/1 = memorized)', 'memorized');
  addQuiet(command).action(async (options: { audit: string[]; output: string; figure?: string; idColumn: string; labelColumn: string; quiet?: boolean }) => {
      await refuseOverwrite({ '--output': options.output, '--figure': options.figure }, { '--audit': options.audit.map((a) => parseAuditArgument(a).path) });
      const report = await withReadProgress('compare', options.quiet, () =>
        compareAuditFiles({ audits: options.audit, output: options.output, figure: options.figure, idColumn: options.idColumn, labelColumn: options.labelColumn }),
      );
      process.stdout.write(describeOverlap(report));
    });
}
