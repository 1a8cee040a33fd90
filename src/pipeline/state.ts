// Step completion markers: written last, holding a hash of the step's config and the sizes and
// modification times of its inputs and outputs. A step is skipped only when all three still match.
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { JOURNAL_SUFFIX } from '../io/checkpoint.js';
import { isRunning, stagedOwner } from '../io/litter.js';
import { filePaths, type Step } from './spec.js';

/** path → "size:mtime" for files; folders list their files (hidden temp files left out). */
export type Fingerprint = Record<string, string | null>;

export interface StepMarker {
  version: 1;
  step: string;
  config_hash: string;
  inputs: Fingerprint;
  outputs: Fingerprint;
  finished_at: string;
}

/** What decides a step's result: kind, files and options; not shards, GPUs or the executor. */
export function configHash(step: Step): string {
  const config = { kind: step.kind, inputs: step.inputs, outputs: step.outputs, options: step.options };
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

async function describe(path: string, into: Fingerprint): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch {
    into[path] = null;
    return;
  }
  if (!info.isDirectory()) {
    into[path] = `${info.size}:${Math.round(info.mtimeMs)}`;
    return;
  }
  for (const name of (await readdir(path)).sort()) {
    if (!name.startsWith('.')) await describe(join(path, name), into);
  }
}

export async function fingerprint(paths: string[]): Promise<Fingerprint> {
  const result: Fingerprint = {};
  for (const path of paths) await describe(path, result);
  return result;
}

export function inputPaths(step: Step): string[] {
  return Object.values(step.inputs).flatMap(filePaths);
}

export function outputPaths(step: Step): string[] {
  return Object.values(step.outputs);
}

function same(a: Fingerprint, b: Fingerprint): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function stepMarkerPath(workdir: string, step: Step): string {
  return join(workdir, 'steps', `${step.id}.done.json`);
}

/** Why a step must run, or null when its marker still vouches for its outputs. */
export async function staleReason(workdir: string, step: Step): Promise<string | null> {
  let marker: StepMarker;
  try {
    marker = JSON.parse(await readFile(stepMarkerPath(workdir, step), 'utf8')) as StepMarker;
  } catch {
    return 'not run yet';
  }
  if (marker.config_hash !== configHash(step)) return 'its configuration changed';
  if (!same(marker.inputs, await fingerprint(inputPaths(step)))) return 'an input changed';
  if (!same(marker.outputs, await fingerprint(outputPaths(step)))) return 'an output is missing or changed';
  return null;
}

export async function clearStepMarker(workdir: string, step: Step): Promise<void> {
  await rm(stepMarkerPath(workdir, step), { force: true });
}

export async function writeStepMarker(workdir: string, step: Step): Promise<void> {
  const outputs = await fingerprint(outputPaths(step));
  const missing = Object.entries(outputs).filter(([, v]) => v === null).map(([p]) => p);
  if (missing.length) throw new UserError(`step "${step.id}" finished but did not write ${missing.join(', ')}`);
  const marker: StepMarker = {
    version: 1,
    step: step.id,
    config_hash: configHash(step),
    inputs: await fingerprint(inputPaths(step)),
    outputs,
    finished_at: new Date().toISOString(),
  };
  const path = stepMarkerPath(workdir, step);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(marker, null, 1)}\n`);
}

async function namesIn(folder: string): Promise<string[]> {
  return readdir(folder).catch(() => []);
}

const TEMP = /\.tmp-|\.partial-/;

/** A resumable stage's temp output with its checkpoint: the step's rerun continues it (io/checkpoint.ts). */
function isCheckpoint(name: string, names: string[]): boolean {
  return name.endsWith(JOURNAL_SUFFIX) || names.includes(name + JOURNAL_SUFFIX);
}

/** Removes temp files of killed writers directly inside `folder` (not resumable checkpoints); returns their paths. */
export async function removeTempsIn(folder: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await namesIn(folder);
  for (const n of names) {
    if (!TEMP.test(n) || isCheckpoint(n, names)) continue;
    await rm(join(folder, n), { recursive: true, force: true });
    removed.push(join(folder, n));
  }
  return removed;
}

/**
 * Removes what a killed run left beside the step's outputs: temp files of the atomic writers
 * (`OUT.tmp-*`, the staged `.partial-HOST-PID-OUT`), also inside the parts folder and folder outputs. Parts and
 * their markers stay: they resume; so do score's and audit's checkpointed temp outputs.
 */
export async function removeStrayTemps(step: Step): Promise<string[]> {
  const removed: string[] = [];
  for (const out of outputPaths(step)) {
    const folder = dirname(out);
    const name = basename(out);
    const names = await namesIn(folder);
    for (const n of names) {
      if (isCheckpoint(n, names)) continue;
      if (n.startsWith(`${name}.tmp-`) || stagedOwner(n, name) || n.startsWith(`.${name}.tmp-`)) {
        await rm(join(folder, n), { recursive: true, force: true });
        removed.push(join(folder, n));
      }
    }
    for (const inner of [`${out}.parts`, out]) removed.push(...(await removeTempsIn(inner)));
  }
  return removed;
}

/** One run per workdir at a time: a second run would race the first on the same parts. */
export async function lockWorkdir(workdir: string): Promise<() => Promise<void>> {
  await mkdir(workdir, { recursive: true });
  const path = join(workdir, 'run.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(await readFile(path, 'utf8').catch(() => ''));
      if (pid > 0 && isRunning(pid)) {
        throw new UserError(`${workdir}: another memsieve run (pid ${pid}) is using this workdir; wait for it or stop it`);
      }
      await rm(path, { force: true }); // left by a killed run
    }
  }
  throw new UserError(`${path}: cannot take the run lock`);
}
