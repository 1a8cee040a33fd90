import type { Command } from 'commander';
import { DEFAULT_CALIBRATION_BINS, evaluateRiskModel, summarizeEvaluation, writeEvaluation, writeEvaluationReport, writeReliabilityFigure } from '../evaluate/evaluate.js';
import { join } from 'node:path';
import { checkOutputFolder, refuseOverwrite } from '../io/index.js';
import { withReadProgress } from '../progress.js';
import { addAllowMismatch, addQuiet, addThresholdOptions, positiveInt } from './options.js';

export function register(program: Command): void {
  const command = program
    .command('evaluate')
    .description('Measure a risk model (risk.json) on labelled rows it was not trained on: ranking, the cut at a threshold, calibration')
    .requiredOption('--model <file>', 'risk model from `memsieve train` (risk.json)')
    .requiredOption('--scores <file>', 'scores file from `memsieve score` (id and the model\'s feature columns)')
    .requiredOption('--labels <file>', 'labels file, e.g. from `memsieve audit` (id and label columns)')
    .requiredOption('--output <file>', 'evaluation to write (JSON)')
    .option('--figure <file>', 'also draw the reliability diagram as an SVG figure')
    .option('--report <dir>', 'also write report.html (summary, ROC, reliability diagram) into this folder')
    .option('--label-column <name>', 'label column: true/1 = memorized', 'memorized')
    .option('--id-column <name>', 'id column joining scores and labels', 'id')
    .option('--bins <n>', 'equal-width bins of the reliability curve and the expected calibration error', positiveInt, DEFAULT_CALIBRATION_BINS);
  addQuiet(addAllowMismatch(addThresholdOptions(command), 'apply the model although the scores differ from its training scores, or the labels from the scores,')).action(async (options) => {
    const inputs = [options.model, options.scores, options.labels];
    await refuseOverwrite(
      { '--output': options.output, '--figure': options.figure, '--report': options.report === undefined ? undefined : join(options.report, 'report.html') },
      { '--model': options.model, '--scores': options.scores, '--labels': options.labels },
    );
    for (const path of [options.output, options.figure]) {
      if (path !== undefined) await checkOutputFolder(path); // fail before the work, not after
    }
    const evaluation = await withReadProgress('evaluate', options.quiet, () => evaluateRiskModel({
      model: options.model,
      scores: options.scores,
      labels: options.labels,
      labelColumn: options.labelColumn,
      idColumn: options.idColumn,
      bins: options.bins,
      threshold: options.threshold,
      removeTop: options.removeTop,
      targetRecall: options.targetRecall,
      allowMismatch: options.allowMismatch,
    }));
    const written = [options.output];
    if (options.figure) {
      await writeReliabilityFigure(options.figure, evaluation);
      written.push(options.figure);
    }
    if (options.report) written.push(await writeEvaluationReport(options.report, evaluation, inputs));
    await writeEvaluation(options.output, evaluation);
    process.stdout.write(summarizeEvaluation(evaluation) + `wrote ${written.join(', ')}\n`);
  });
}
