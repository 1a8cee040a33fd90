import type { Command } from 'commander';
import { DEFAULT_CALIBRATION_BINS, evaluateRiskModel, summarizeEvaluation, writeEvaluation, writeEvaluationReport, writeReliabilityFigure } from '../evaluate/evaluate.js';
import { checkOutputFolder } from '../io/index.js';
import { UserError } from '../errors.js';
import { addThresholdOptions, positiveInt } from './options.js';

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
  addThresholdOptions(command).action(async (options) => {
    const inputs = [options.model, options.scores, options.labels];
    for (const [option, path] of [['--output', options.output], ['--figure', options.figure]]) {
      if (path === undefined) continue;
      if (inputs.includes(path)) throw new UserError(`${option} ${path}: an output may not overwrite an input`);
      await checkOutputFolder(path); // fail before the work, not after
    }
    const evaluation = await evaluateRiskModel({
      model: options.model,
      scores: options.scores,
      labels: options.labels,
      labelColumn: options.labelColumn,
      idColumn: options.idColumn,
      bins: options.bins,
      threshold: options.threshold,
      removeTop: options.removeTop,
      targetRecall: options.targetRecall,
    });
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
