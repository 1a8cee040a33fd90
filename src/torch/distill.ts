// `memsieve distill`: tokenize the data here, train in the Python trainer (pipelines/torch), report progress.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { loadTokenizer } from '../text/tokenizer.js';
import { warnTokenizer, withWarnings, type Warned } from '../stage/warnings.js';
import { runPythonModule, type PythonEvent } from './python.js';
import { writeTokenFile, type TokenFileSummary } from './tokens.js';
import type { DistillOptions } from './distill-options.js';
import { checkHardOptions, prepareHardTargets } from './hard.js';
import { TARGETS_DEFAULTS } from '../targets/targets.js';

// the options live in their own file: hard.ts takes them too, and may not import this file back
export type { DistillMode, DistillOptions } from './distill-options.js';

export interface DistillEpoch {
  epoch: number;
  train_loss: number;
  val_loss?: number;
  val_ppl?: number;
}

export interface DistillResult {
  out: string;
  steps: number;
  seconds: number;
  train_loss: number;
  val_loss?: number;
  val_ppl?: number;
  epochs: DistillEpoch[];
}

const FLAGS: [keyof DistillOptions, string][] = [
  ['teacher', '--teacher'],
  ['student', '--student'],
  ['studentConfig', '--student-config'],
  ['epochs', '--epochs'],
  ['lr', '--lr'],
  ['minLr', '--min-lr'],
  ['schedule', '--schedule'],
  ['warmupSteps', '--warmup-steps'],
  ['batchSize', '--batch-size'],
  ['gradAccum', '--grad-accum'],
  ['weightDecay', '--weight-decay'],
  ['gradClip', '--grad-clip'],
  ['temperature', '--temperature'],
  ['prefixTokens', '--prefix-tokens'],
  ['hardDataOut', '--hard-data-out'],
  ['seed', '--seed'],
  ['device', '--device'],
  ['logEvery', '--log-every'],
  ['checkpointEpochs', '--checkpoint-epochs'],
];

/** Trainer arguments for options whose data are already token files. */
export function trainerArgs(options: DistillOptions, dataTokens: string, validationTokens?: string, provenance: Record<string, unknown> = {}): string[] {
  const args = ['--mode', options.mode, '--data', dataTokens, '--out', options.out, '--provenance', JSON.stringify(provenance)];
  // hard KD trains on targets made before the trainer starts; it needs no teacher of its own
  if (options.mode === 'hard') args.push('--targets-given');
  if (validationTokens) args.push('--validation', validationTokens);
  for (const [key, flag] of FLAGS) {
    if (key === 'teacher' && options.mode === 'hard') continue;
    const value = options[key];
    if (value !== undefined && value !== null && value !== '') args.push(flag, String(value));
  }
  if (options.bf16) args.push('--bf16');
  return args;
}

/**
 * Distill a student. `onEvent` sees the trainer's progress events (start, hard_data, resume, step, epoch).
 * The checkpoint folder appears only when training finished (the trainer renames it into place); a rerun
 * of an interrupted run with the same options and data resumes from OUT.resume/.
 */
export function distill(options: DistillOptions, onEvent: (event: PythonEvent) => void = () => {}): Promise<Warned<DistillResult>> {
  return withWarnings(options, () => distillStudent(options, onEvent));
}

async function distillStudent(options: DistillOptions, onEvent: (event: PythonEvent) => void): Promise<DistillResult> {
  if (!['soft', 'hard', 'ce'].includes(options.mode)) throw new UserError(`--mode ${options.mode}: use soft, hard or ce`);
  if (options.mode === 'soft' && !options.teacher) throw new UserError(`--mode ${options.mode} needs --teacher`);
  checkHardOptions(options);
  if (options.mode !== 'hard' && options.data === undefined) throw new UserError(`--mode ${options.mode} needs --data`);
  if (Boolean(options.student) === Boolean(options.studentConfig)) {
    throw new UserError('give exactly one of --student (a checkpoint) or --student-config (random initialization)');
  }
  const tokenizer = await loadTokenizer(options.tokenizer, { specialTokens: options.specialTokens });
  warnTokenizer(tokenizer, options.tokenizer);
  // hard KD's prompt is the leading special ids + k text tokens, as audit's; k defaults to targets' (the trainer's is the same 50)
  const leading = tokenizer.addedSpecialIds.leading.length;
  const trainer = leading === 0 ? options : { ...options, prefixTokens: (options.prefixTokens ?? TARGETS_DEFAULTS.prefixTokens) + leading };
  const scratch = await mkdtemp(join(tmpdir(), 'memsieve-distill-'));
  try {
    const tokenOptions = { textColumn: options.textColumn, maxTokens: options.maxTokens, tokenizerThreads: options.tokenizerThreads };
    let train: TokenFileSummary;
    let provenance: Record<string, unknown> = {};
    if (options.mode === 'hard') {
      // the teacher's targets are data of their own (src/torch/hard.ts); the trainer only trains on them
      ({ train, provenance } = await prepareHardTargets(options, tokenizer, scratch, onEvent));
    } else {
      train = await writeTokenFile(options.data!, tokenizer, join(scratch, 'train.tokens'), tokenOptions);
      if (train.rows === 0) throw new UserError(`${String(options.data)}: no rows to train on`);
      onEvent({ event: 'tokenized', split: 'train', rows: train.rows, tokens: train.tokens });
    }
    let validation: string | undefined;
    if (options.validation) {
      const v = await writeTokenFile(options.validation, tokenizer, join(scratch, 'validation.tokens'), { ...tokenOptions, option: '--validation' });
      onEvent({ event: 'tokenized', split: 'validation', rows: v.rows, tokens: v.tokens });
      validation = v.path;
    }
    const epochs: DistillEpoch[] = [];
    const done = await runPythonModule(
      'memsieve_torch.distill',
      trainerArgs(trainer, train.path, validation, provenance),
      (event) => {
        if (event.event === 'epoch') epochs.push(event as unknown as DistillEpoch);
        onEvent(event);
      },
      options.python,
    );
    return {
      out: String(done.out),
      steps: Number(done.steps),
      seconds: Number(done.seconds),
      train_loss: Number(done.train_loss),
      val_loss: done.val_loss === undefined ? undefined : Number(done.val_loss),
      val_ppl: done.val_ppl === undefined ? undefined : Number(done.val_ppl),
      epochs,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** One human line per trainer event (the CLI prints these on stderr), or null for events not shown. */
export function describeDistillEvent(e: PythonEvent): string | null {
  if (e.adapt) {
    const line = describeDistillEvent({ ...e, adapt: undefined });
    return line === null ? null : `adapting the teacher (Adaptive-SeqKD): ${line}`;
  }
  const n = (v: unknown, digits = 4) => (typeof v === 'number' ? v.toPrecision(digits) : String(v));
  switch (e.event) {
    case 'tokenized':
      return `tokenized ${String(e.split)}: ${String(e.rows)} rows, ${String(e.tokens)} tokens`;
    case 'targets': {
      const t = e.summary as { continued: number; regurgitated: number; regurgitated_tokens: number; continuation_tokens: number; oscillatory: number } | null;
      const what = e.generated ? 'teacher wrote' : 'training on';
      const measures = t ? `: ${t.regurgitated} of ${t.continued} continuations regurgitate the corpus whole, ${t.regurgitated_tokens} of ${t.continuation_tokens} tokens lead-matching, ${t.oscillatory} oscillatory` : ' (no summary beside it: made by filter?)';
      return `${what} hard-KD targets ${String(e.path)} (${String(e.rows)} rows)${measures}`;
    }
    case 'adapted':
      return `Adaptive-SeqKD: adapted teacher saved at ${String(e.path)}`;
    case 'hard_data':
      return e.reused ? `reusing the teacher's ${String(e.rows)} sequences from the interrupted run` : `teacher generated ${String(e.rows)} sequences for hard KD (${n(e.seconds, 3)} s)`;
    case 'resume':
      return `resuming an interrupted run after epoch ${String(e.epoch)} (step ${String(e.step)})`;
    case 'start':
      return `training (${String(e.mode)}) on ${String(e.device)}: ${String(e.rows)} rows, ${String(e.epochs)} epochs, ${String(e.steps)} steps, ${String(e.student_parameters)} student parameters`;
    case 'step':
      return `epoch ${String(e.epoch)} step ${String(e.step)}/${String(e.steps)} loss ${n(e.loss)} lr ${n(e.lr, 3)} (${n(e.seconds, 3)} s)`;
    case 'epoch':
      return `epoch ${String(e.epoch)}: train loss ${n(e.train_loss)}${e.val_loss === undefined ? '' : `, validation loss ${n(e.val_loss)}, perplexity ${n(e.val_ppl)}`}`;
    case 'graph':
      return `${String(e.file)}: max abs logit diff vs PyTorch ${n(e.max_abs_diff, 3)}`;
    default:
      return null;
  }
}
