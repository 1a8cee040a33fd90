// A step's inputs, outputs and options become the stage command's flags, one to one: the pipeline
// file says exactly what a user would type.
import type { OptionValue, Step } from './spec.js';

/** `maxTokens` and `max-tokens` both mean `--max-tokens`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function optionArgs(flag: string, value: OptionValue): string[] {
  if (value === true) return [flag];
  if (value === false) return [];
  if (Array.isArray(value)) return value.flatMap((v) => [flag, String(v)]);
  return [flag, String(value)];
}

/** The command-line arguments (after the command name) that run `step` as one process. */
export function stepArgs(step: Step): string[] {
  const args: string[] = [];
  for (const [key, arg] of Object.entries(step.inputs)) {
    const flag = flagOf(key);
    if (typeof arg === 'string') args.push(flag, arg);
    else if (Array.isArray(arg)) for (const p of arg) args.push(flag, p);
    else for (const [name, p] of Object.entries(arg)) args.push(flag, `${name}=${p}`);
  }
  for (const [key, path] of Object.entries(step.outputs)) args.push(flagOf(key), path);
  for (const [key, value] of Object.entries(step.options)) args.push(...optionArgs(flagOf(key), value));
  return args;
}

export function shardArgs(index: number | string, count: number): string[] {
  return ['--shard-index', String(index), '--shard-count', String(count)];
}

/** Quotes one argument for a POSIX shell (Slurm batch scripts). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
