// Hard (sequence-level) KD inputs: optionally adapt the teacher (Adaptive-SeqKD), have it write the
// targets as auditable data (memsieve targets) beside the checkpoint, or take a targets file the
// user filtered; then the token file the student trains on and what distill.json records of it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { Device } from '../models/types.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { targets as generateTargetsFile } from '../targets/run.js';
import { checkMadeAlike, readProvenance, warnAlike, tokenizerRecord, type Provenance } from '../stage/provenance.js';
import { targetsSummaryPath, type TargetsSummary } from '../targets/targets.js';
import type { DistillOptions } from './distill-options.js';
import { runPythonModule, type PythonEvent } from './python.js';
import { writeTargetsTokenFile, writeTokenFile, type TokenFileSummary } from './tokens.js';

/** Adaptive-SeqKD defaults: a brief fine-tune (Dankers & Raunak 2025 adapt the teacher briefly). */
export const ADAPT_DEFAULTS = { adaptSteps: 100, adaptLr: 1e-5 };

/** What hard KD writes beside the checkpoint folder OUT. */
export function hardOutputs(out: string): { targets: string; targetsSummary: string; adaptedTeacher: string } {
  const base = out.replace(/\/+$/, '');
  const targets = `${base}.targets.parquet`;
  return { targets, targetsSummary: targetsSummaryPath(targets), adaptedTeacher: `${base}.adapted-teacher` };
}

/** Option errors of hard KD, before anything runs. */
export function checkHardOptions(options: DistillOptions): void {
  const given = (v: unknown) => v !== undefined && !(Array.isArray(v) && v.length === 0);
  if (options.mode !== 'hard') {
    for (const [key, flag] of [['targets', '--targets'], ['adaptOn', '--adapt-on']] as const) {
      if (given(options[key])) throw new UserError(`${flag} is for --mode hard`);
    }
    return;
  }
  if (given(options.targets)) {
    if (given(options.data)) throw new UserError('--targets replaces --data for hard KD: give one of them');
    if (given(options.adaptOn)) throw new UserError('--adapt-on adapts the teacher before it writes targets; with --targets nothing is written: drop one');
  } else {
    if (!given(options.data)) throw new UserError('--mode hard needs --data (the teacher continues its rows) or --targets');
    if (!options.teacher) throw new UserError('--mode hard needs --teacher (or --targets made by one)');
  }
}

/**
 * The hard-KD token file in `scratch` and the provenance distill.json records: the targets file,
 * its summary (teacher, tokenizer, prefix), and the adapted teacher when there is one.
 */
export async function prepareHardTargets(
  options: DistillOptions,
  tokenizer: Tokenizer,
  scratch: string,
  onEvent: (event: PythonEvent) => void,
): Promise<{ train: TokenFileSummary; provenance: Record<string, unknown> }> {
  const outputs = hardOutputs(options.out);
  const provenance: Record<string, unknown> = {};
  let targetsPath = options.targets;
  if (targetsPath === undefined) {
    let teacher = options.teacher!;
    if (options.adaptOn !== undefined) {
      teacher = await adaptTeacher(options, tokenizer, scratch, outputs.adaptedTeacher, onEvent);
      provenance.adapted_teacher = {
        path: teacher,
        from: options.teacher,
        adapt_on: [options.adaptOn].flat(),
        steps: options.adaptSteps ?? ADAPT_DEFAULTS.adaptSteps,
        lr: options.adaptLr ?? ADAPT_DEFAULTS.adaptLr,
      };
    }
    targetsPath = outputs.targets;
    await generateTargetsFile({
      input: [options.data!].flat(),
      output: targetsPath,
      teacher,
      tokenizer: options.tokenizer,
      specialTokens: options.specialTokens,
      textColumn: options.textColumn,
      maxTokens: options.maxTokens,
      prefixTokens: options.prefixTokens,
      backend: 'torch',
      device: (options.device ?? 'auto') as Device,
      // float32 as the trainer's own generation did: bfloat16 ties would change the targets
      dtype: 'float32',
      quiet: true,
    });
  }
  const made = await checkTargetsTokenizer(targetsPath, tokenizer);
  const summary = await readTargetsSummary(targetsPath);
  provenance.targets = { path: targetsPath, summary, provenance: made };
  const train = await writeTargetsTokenFile(targetsPath, join(scratch, 'train.tokens'));
  if (train.rows === 0) throw new UserError(`--targets ${targetsPath}: no rows to train on`);
  onEvent({ event: 'targets', path: targetsPath, generated: options.targets === undefined, rows: train.rows, summary });
  return { train, provenance };
}

/**
 * The targets' provenance (kept by filter and sample, so a filtered targets file has it too): they must be
 * token ids of the tokenizer distill runs with. None recorded: one warning, not checked.
 */
async function checkTargetsTokenizer(path: string, tokenizer: Tokenizer): Promise<Provenance | null> {
  const made = await readProvenance(path, 'targets', undefined, '--targets');
  const inputs = [{ name: `--targets ${path}`, provenance: made }, { name: `--tokenizer ${tokenizer.path}`, provenance: { tokenizer: tokenizerRecord(tokenizer) } }];
  const alike = checkMadeAlike(inputs, ['tokenizer', 'special_tokens'], {
    why: "the student must share the teacher's token ids",
    redo: 'distill with the tokenizer and --special-tokens the targets were made with, or make them again',
  });
  warnAlike(alike);
  return made;
}

/** The targets file's summary (its measures); null when there is none beside it. */
async function readTargetsSummary(path: string): Promise<TargetsSummary | null> {
  const summaryPath = targetsSummaryPath(path);
  if (!existsSync(summaryPath)) return null;
  let summary: TargetsSummary;
  try {
    summary = JSON.parse(await readFile(summaryPath, 'utf8')) as TargetsSummary;
  } catch (error) {
    throw new UserError(`${summaryPath}: not a targets summary (${(error as Error).message})`);
  }
  if (summary.command !== 'targets') throw new UserError(`${summaryPath}: not a targets summary (command ${String(summary.command)})`);
  return summary;
}

/** Adaptive-SeqKD: fine-tune a copy of the teacher on the adaptation data (cross-entropy), saved at `out`. */
async function adaptTeacher(options: DistillOptions, tokenizer: Tokenizer, scratch: string, out: string, onEvent: (event: PythonEvent) => void): Promise<string> {
  const data = await writeTokenFile(options.adaptOn!, tokenizer, join(scratch, 'adapt.tokens'), { textColumn: options.textColumn, maxTokens: options.maxTokens, option: '--adapt-on' });
  if (data.rows === 0) throw new UserError(`--adapt-on ${String(options.adaptOn)}: no rows to adapt the teacher on`);
  onEvent({ event: 'tokenized', split: 'adapt', rows: data.rows, tokens: data.tokens });
  const args = [
    '--mode', 'ce', '--student', options.teacher!, '--data', data.path, '--out', out,
    '--max-steps', String(options.adaptSteps ?? ADAPT_DEFAULTS.adaptSteps), '--lr', String(options.adaptLr ?? ADAPT_DEFAULTS.adaptLr),
    '--schedule', 'constant', '--checkpoint-epochs', '0',
    '--provenance', JSON.stringify({ adaptive_seqkd: { teacher: options.teacher, adapt_on: [options.adaptOn].flat() } }),
  ];
  for (const [value, flag] of [[options.batchSize, '--batch-size'], [options.gradAccum, '--grad-accum'], [options.seed, '--seed'], [options.device, '--device']] as const) {
    if (value !== undefined) args.push(flag, String(value));
  }
  if (options.bf16) args.push('--bf16');
  await runPythonModule('memsieve_torch.distill', args, (event) => onEvent({ ...event, adapt: true }), options.python);
  onEvent({ event: 'adapted', path: out });
  return out;
}
