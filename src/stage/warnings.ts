// Warnings: what the caller must know about a result (it may change what the numbers mean). Stages say
// them with `warn`; the API verb they run in (`withWarnings`) returns them as data in its result and
// prints each once on stderr unless its caller asked for quiet. The CLI prints them whatever --quiet
// says (`printingWarnings`): --quiet silences progress, not warnings.
import { AsyncLocalStorage } from 'node:async_hooks';

/** Stable codes callers can match on; the message is for people and may change. */
export type WarningCode =
  /** --scores records no provenance: its making cannot be checked (filter, evaluate, threshold, train) */
  | 'scores-no-provenance'
  /** --model records no provenance of its training scores: the scores cannot be checked against it */
  | 'model-no-provenance'
  /** inputs combined as one measurement, some with no provenance: they cannot be checked alike (compare, counterfactual, verdict, distill --targets) */
  | 'inputs-no-provenance'
  /** more than drift.warn_share of the rows lie outside a feature's training range (filter) */
  | 'drift'
  /** the tokenizer's special tokens are not what the model may expect (score, audit, targets, distill) */
  | 'tokenizer-special-tokens'
  /** compare's --audit names leave sets out (no student, a teacher without a baseline) */
  | 'compare-roles'
  /** zstd-napi is missing: Parquet is written with gzip */
  | 'no-zstd'
  // other stages add theirs here: one code per kind of warning, said in docs/api.md
  | (string & {});

export interface Warning {
  code: WarningCode;
  /** one line, as printed after `memsieve: warning: ` */
  message: string;
  /** the option it concerns, e.g. `--scores` */
  option?: string;
  /** the file it concerns */
  file?: string;
}

/** What every API verb takes about its warnings. */
export interface WarningOptions {
  /** print nothing on stderr (no progress, no warnings): the result's `warnings` hold them; unsaid: as the verb around (none: false) */
  quiet?: boolean;
  /** called with each warning as it is said (before the result is returned) */
  onWarning?: (warning: Warning) => void;
}

/** A result with the warnings said while it was made. */
export type Warned<T> = T & { warnings: Warning[] };

interface Scope {
  warnings: Warning[];
  print: boolean;
  onWarning?: (warning: Warning) => void;
  parent?: Scope;
}

const scopes = new AsyncLocalStorage<Scope>();

const same = (a: Warning) => (b: Warning) => a.code === b.code && a.message === b.message;

function print(warning: Warning): void {
  process.stderr.write(`memsieve: warning: ${warning.message}\n`);
}

/**
 * Says a warning: recorded in the verb running (and the verbs around it: a pipeline's run sees its
 * steps'), printed once unless every verb around it is quiet. Said twice in one verb, it counts once.
 * Outside any verb (a library piece called on its own) it is printed.
 */
export function warn(warning: Warning): void {
  const scope = scopes.getStore();
  if (!scope) return print(warning);
  if (scope.warnings.some(same(warning))) return;
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s.warnings.some(same(warning))) continue;
    s.warnings.push(warning);
    s.onWarning?.(warning);
  }
  if (shown(scope)) print(warning);
}

/** Outside any verb, or inside one whose caller (or a caller around it) did not ask for quiet. */
function shown(scope = scopes.getStore()): boolean {
  if (!scope) return true;
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s.print) return true;
  return false;
}

/** Runs an API verb's work, returning its result with the warnings said inside it. */
export async function withWarnings<T extends object>(options: WarningOptions, work: () => Promise<T>): Promise<Warned<T>> {
  const parent = scopes.getStore();
  // quiet unsaid: as the verb around this one says (a pipeline step run for a quiet runPipeline)
  const print = options.quiet === undefined ? (parent?.print ?? true) : !options.quiet;
  const scope: Scope = { warnings: [], print, onWarning: options.onWarning, parent };
  const result = await scopes.run(scope, work);
  return Object.assign(result, { warnings: scope.warnings });
}

/** A summary file's fields with the warnings said so far in the verb writing it (its result carries the same). */
export function withWarningsSaid<T extends object>(summary: T): T & { warnings: Warning[] } {
  return { ...summary, warnings: scopes.getStore()?.warnings ?? [] };
}

/** The CLI: every warning inside is printed, whatever the commands' --quiet says. */
export function printingWarnings<T>(work: () => Promise<T>): Promise<T> {
  return scopes.run({ warnings: [], print: true }, work);
}

/** A tokenizer's warnings about its special tokens, once per stage that loads it (they may change the numbers). */
export function warnTokenizer(tokenizer: { readonly warnings: readonly string[] }, path: string): void {
  for (const message of tokenizer.warnings) warn({ code: 'tokenizer-special-tokens', message, option: '--tokenizer', file: path });
}

/**
 * A note (not a warning: nothing about the result changes), e.g. a killed run's leftovers removed:
 * printed as `memsieve: MESSAGE` unless every verb around it is quiet.
 */
export function note(message: string): void {
  if (shown()) process.stderr.write(`memsieve: ${message}\n`);
}
