// Pipeline files: YAML (JSON is YAML too), checked key by key so every mistake names the file,
// the line, the step and the key. Paths resolve against the current directory, like any CLI
// argument; `${pipeline_dir}` names the pipeline file's own folder.
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { excerpt, UserError } from '../errors.js';
import { isStepKind, KINDS, STEP_KINDS, type StepKind } from './kinds.js';

/** "score, audit, … and threshold": the kinds that take shards, for the error on the others. */
const SHARDABLE = ((kinds) => `${kinds.slice(0, -1).join(', ')} and ${kinds[kinds.length - 1]}`)(STEP_KINDS.filter((k) => KINDS[k].shardable));

/** A file argument: one path, a list (repeated flag), or name → path (`--flag name=path`, as compare's --audit). */
export type FileArg = string | string[] | Record<string, string>;
export type OptionValue = string | number | boolean | Array<string | number>;

/** Extra sbatch settings, pipeline-wide or per step. */
export interface SlurmSettings {
  partition?: string;
  time?: string;
  'cpus-per-task'?: number;
  mem?: string;
  /** passed to sbatch verbatim */
  extra?: string[];
}

export interface Step {
  id: string;
  kind: StepKind;
  /** flag → file(s) the step reads; absolute */
  inputs: Record<string, FileArg>;
  /** flag → file or folder the step writes; absolute */
  outputs: Record<string, string>;
  options: Record<string, OptionValue>;
  /** shard count; undefined = the run's --shards (shardable kinds only) */
  shards?: number;
  /** GPUs per task (Slurm --gres=gpu:G) */
  gpus: number;
  slurm: SlurmSettings;
}

export interface Pipeline {
  name: string;
  file: string;
  /** step markers, shard logs and Slurm scripts */
  workdir: string;
  steps: Step[];
}

export interface LoadOptions {
  /** `--set name=value` overrides of `vars` */
  set?: Record<string, string>;
  cwd?: string;
}

const TOP_KEYS = ['name', 'description', 'vars', 'workdir', 'slurm', 'steps'];
const STEP_KEYS = ['id', 'kind', 'description', 'inputs', 'outputs', 'options', 'shards', 'gpus', 'slurm'];
const SLURM_KEYS = ['partition', 'time', 'cpus-per-task', 'mem', 'extra'];

type Path = Array<string | number>;

class Checker {
  private readonly doc;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    const [error] = this.doc.errors;
    if (error) {
      const at = ` (line ${error.linePos?.[0].line ?? this.lines.linePos(error.pos[0]).line})`;
      throw new UserError(`${file}${at}: not valid YAML: ${error.message.split('\n')[0]}`);
    }
  }

  data(): unknown {
    try {
      // yaml stops alias expansion past maxAliasCount (100) with a ReferenceError: a billion-laughs file
      return this.doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      throw new UserError(`${this.file}: not a usable pipeline file: ${(error as Error).message} (YAML aliases expand to too many nodes)`);
    }
  }

  /** "FILE (line N): steps[1] (id "audit"): key "kind"" */
  where(path: Path, stepId?: string): string {
    const node = this.doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const line = node?.range ? ` (line ${this.lines.linePos(node.range[0]).line})` : '';
    const inStep = path[0] === 'steps' && typeof path[1] === 'number';
    const step = inStep ? `steps[${path[1]}]${stepId ? ` (id "${stepId}")` : ''}` : '';
    const rest = inStep ? path.slice(2) : path;
    const key = rest.length ? `key "${rest.join('.')}"` : '';
    return `${this.file}${line}: ${[step, key].filter(Boolean).join(': ')}`;
  }

  fail(path: Path, message: string, stepId?: string): never {
    throw new UserError(`${this.where(path, stepId)}: ${message}`);
  }
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(c: Checker, value: Record<string, unknown>, allowed: string[], path: Path, stepId?: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) c.fail([...path, key], `unknown key; expected one of ${allowed.join(', ')}`, stepId);
  }
}

/** Variable names: an identifier, and not the one JavaScript objects treat specially. */
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isVarName = (name: string) => VAR_NAME.test(name) && name !== '__proto__';

/** Replaces `${name}` with vars (which may refer to earlier vars); an unknown name is an error. */
function interpolate(c: Checker, text: string, vars: Record<string, string>, path: Path, stepId?: string): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    // own properties only: `toString` or `constructor` must not find Object.prototype's
    const value = Object.hasOwn(vars, name.trim()) ? vars[name.trim()] : undefined;
    if (value === undefined) {
      c.fail(path, `unknown variable \${${name}}; defined: ${Object.keys(vars).join(', ')}`, stepId);
    }
    return value;
  });
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function checkSlurm(c: Checker, raw: unknown, path: Path, vars: Record<string, string>, stepId?: string): SlurmSettings {
  if (raw === undefined) return {};
  if (!isMap(raw)) c.fail(path, 'expected a map of sbatch settings', stepId);
  checkKeys(c, raw, SLURM_KEYS, path, stepId);
  const out: SlurmSettings = {};
  for (const key of ['partition', 'time', 'mem'] as const) {
    if (raw[key] === undefined) continue;
    const text = scalarText(raw[key]);
    if (text === undefined) c.fail([...path, key], 'expected a string', stepId);
    out[key] = interpolate(c, text, vars, [...path, key], stepId);
  }
  if (raw['cpus-per-task'] !== undefined) {
    const n = raw['cpus-per-task'];
    if (!Number.isInteger(n) || (n as number) < 1) c.fail([...path, 'cpus-per-task'], 'expected a whole number >= 1', stepId);
    out['cpus-per-task'] = n as number;
  }
  if (raw.extra !== undefined) {
    if (!Array.isArray(raw.extra) || raw.extra.some((x) => typeof x !== 'string')) {
      c.fail([...path, 'extra'], 'expected a list of sbatch arguments (strings)', stepId);
    }
    out.extra = (raw.extra as string[]).map((x, i) => interpolate(c, x, vars, [...path, 'extra', i], stepId));
  }
  return out;
}

function checkPath(c: Checker, raw: unknown, path: Path, vars: Record<string, string>, cwd: string, stepId: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') c.fail(path, 'expected a path (string)', stepId);
  return resolve(cwd, interpolate(c, raw, vars, path, stepId));
}

function checkStep(
  c: Checker,
  raw: unknown,
  i: number,
  vars: Record<string, string>,
  cwd: string,
  pipelineSlurm: SlurmSettings,
): Step {
  const at: Path = ['steps', i];
  if (!isMap(raw)) c.fail(at, 'expected a map with id, kind, inputs, outputs, options');
  const id = raw.id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) {
    c.fail([...at, 'id'], 'expected an id of letters, digits, "_", "-" or "." (it names markers and logs)');
  }
  checkKeys(c, raw, STEP_KEYS, at, id);
  if (!isStepKind(raw.kind)) c.fail([...at, 'kind'], `expected one of ${STEP_KINDS.join(', ')}`, id);
  const kind = raw.kind;

  const inputs: Record<string, FileArg> = {};
  if (raw.inputs !== undefined && !isMap(raw.inputs)) c.fail([...at, 'inputs'], 'expected a map of flag: path', id);
  for (const [key, value] of Object.entries((raw.inputs ?? {}) as Record<string, unknown>)) {
    const p: Path = [...at, 'inputs', key];
    if (Array.isArray(value)) {
      if (value.length === 0) c.fail(p, 'expected at least one path', id);
      inputs[key] = value.map((v, j) => checkPath(c, v, [...p, j], vars, cwd, id));
    } else if (isMap(value)) {
      const named: Record<string, string> = {};
      for (const [name, v] of Object.entries(value)) named[name] = checkPath(c, v, [...p, name], vars, cwd, id);
      inputs[key] = named;
    } else {
      inputs[key] = checkPath(c, value, p, vars, cwd, id);
    }
  }

  const outputs: Record<string, string> = {};
  if (raw.outputs !== undefined && !isMap(raw.outputs)) c.fail([...at, 'outputs'], 'expected a map of flag: path', id);
  for (const [key, value] of Object.entries((raw.outputs ?? {}) as Record<string, unknown>)) {
    if (key in inputs) c.fail([...at, 'outputs', key], `"${key}" is already an input of this step`, id);
    outputs[key] = checkPath(c, value, [...at, 'outputs', key], vars, cwd, id);
  }
  const info = KINDS[kind];
  if (info.shardable) {
    for (const key of info.shardOutputs) {
      if (!(key in outputs)) c.fail([...at, 'outputs'], `a ${kind} step needs the output "${key}" (outputs: ${info.shardOutputs.join(', ')})`, id);
    }
  }

  const options: Record<string, OptionValue> = {};
  if (raw.options !== undefined && !isMap(raw.options)) c.fail([...at, 'options'], 'expected a map of flag: value', id);
  for (const [key, value] of Object.entries((raw.options ?? {}) as Record<string, unknown>)) {
    const p: Path = [...at, 'options', key];
    if (key in inputs || key in outputs) c.fail(p, `"${key}" is already an input or output of this step`, id);
    if (/^shard-|^shard[A-Z]/.test(key)) c.fail(p, 'shards are set with the step key "shards" or `memsieve run --shards`', id);
    if (Array.isArray(value)) {
      options[key] = value.map((v, j) => {
        const text = scalarText(v);
        if (text === undefined) c.fail([...p, j], 'expected a string or number', id);
        return typeof v === 'number' ? v : interpolate(c, text, vars, [...p, j], id);
      });
    } else if (typeof value === 'string') {
      options[key] = interpolate(c, value, vars, p, id);
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      options[key] = value;
    } else {
      c.fail(p, 'expected a string, number, boolean or a list of them', id);
    }
  }

  let shards: number | undefined;
  if (raw.shards !== undefined) {
    if (!info.shardable) c.fail([...at, 'shards'], `${kind} runs as one process; only ${SHARDABLE} take shards`, id);
    if (!Number.isInteger(raw.shards) || (raw.shards as number) < 1) c.fail([...at, 'shards'], 'expected a whole number >= 1', id);
    shards = raw.shards as number;
  }
  // a step told to run on CUDA needs a GPU per task unless it says otherwise
  let gpus = options.device === 'cuda' ? 1 : 0;
  if (raw.gpus !== undefined) {
    if (!Number.isInteger(raw.gpus) || (raw.gpus as number) < 0) c.fail([...at, 'gpus'], 'expected a whole number >= 0', id);
    gpus = raw.gpus as number;
  }
  const slurm = { ...pipelineSlurm, ...checkSlurm(c, raw.slurm, [...at, 'slurm'], vars, id) };
  return { id, kind, inputs, outputs, options, shards, gpus, slurm };
}

/** Every path a file argument names. */
export function filePaths(arg: FileArg): string[] {
  if (typeof arg === 'string') return [arg];
  if (Array.isArray(arg)) return arg;
  // a map value may name a column after the file (compare's name=path:column): the file is the input
  return Object.values(arg).map((value) => value.replace(/:[A-Za-z_][A-Za-z0-9_]*$/, ''));
}

/** Reads and checks a pipeline file; every error names the file, line, step and key. */
export function loadPipeline(file: string, options: LoadOptions = {}): Pipeline {
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`${file}: cannot read the pipeline file (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const c: Checker = new Checker(file, text);
  const raw = c.data();
  if (!isMap(raw)) c.fail([], 'expected a map with "steps" (and optionally name, vars, workdir, slurm)');
  checkKeys(c, raw, TOP_KEYS, []);

  // no prototype: a variable named __proto__ or toString is a plain key, never Object.prototype's
  const vars: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, { pipeline_dir: dirname(path) });
  if (raw.vars !== undefined && !isMap(raw.vars)) c.fail(['vars'], 'expected a map of name: value');
  const overrides: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(options.set ?? {})) {
    if (!isVarName(name)) throw new UserError(`--set ${excerpt(name, 80)}=…: a variable name is letters, digits and _ (not starting with a digit, not __proto__)`);
    overrides[name] = value;
  }
  for (const [name, value] of Object.entries((raw.vars ?? {}) as Record<string, unknown>)) {
    if (!isVarName(name)) c.fail(['vars', name], 'a variable name is letters, digits and _ (not starting with a digit, not __proto__)');
    if (Object.hasOwn(overrides, name)) {
      vars[name] = overrides[name];
      delete overrides[name];
      continue;
    }
    // a variable with no value has no default: the user must name it (a model, a tokenizer)
    if (value === null) c.fail(['vars', name], `variable "${name}" has no default; set it with --set ${name}=...`);
    const text = scalarText(value);
    if (text === undefined) c.fail(['vars', name], 'expected a string or number');
    vars[name] = interpolate(c, text, vars, ['vars', name]);
  }
  const unknown = Object.keys(overrides);
  if (unknown.length) {
    throw new UserError(`--set ${unknown[0]}: ${file} has no variable "${unknown[0]}" (vars: ${Object.keys(vars).filter((v) => v !== 'pipeline_dir').join(', ')})`);
  }

  const name = raw.name === undefined ? basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'pipeline' : raw.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) c.fail(['name'], 'expected letters, digits, "_", "-" or "."');
  const workdirRaw = raw.workdir === undefined ? `.memsieve/${name}` : raw.workdir;
  if (typeof workdirRaw !== 'string') c.fail(['workdir'], 'expected a path');
  const workdir = resolve(cwd, interpolate(c, workdirRaw, vars, ['workdir']));
  const slurm = checkSlurm(c, raw.slurm, ['slurm'], vars);

  if (!Array.isArray(raw.steps) || raw.steps.length === 0) c.fail(['steps'], 'expected a non-empty list of steps');
  const steps = raw.steps.map((s, i) => checkStep(c, s, i, vars, cwd, slurm));

  const ids = new Map<string, number>();
  const writers = new Map<string, string>();
  steps.forEach((step, i) => {
    if (ids.has(step.id)) c.fail(['steps', i, 'id'], `duplicate id; steps[${ids.get(step.id)}] has it too`, step.id);
    ids.set(step.id, i);
    for (const [key, out] of Object.entries(step.outputs)) {
      const other = writers.get(out);
      if (other) c.fail(['steps', i, 'outputs', key], `${out} is already written by step "${other}"`, step.id);
      writers.set(out, step.id);
    }
  });
  return { name, file: path, workdir, steps };
}
