// Temp files a killed run left beside an output (`OUT.tmp-HOST-PID-RAND` and its checkpoint files):
// the next run of the same output removes them, or takes one over to resume (see checkpoint.ts).
// Staged outputs (`.partial-HOST-PID-OUT`, its JSONL sidecar, and their own `.tmp-*`), which a command publishes
// only once all its outputs are complete (filter), are removed by the next run the same way.
//
// A temp file belongs to a dead run when it was written on this host (the hostname is in its name)
// and its PID no longer runs. On a shared filesystem a Slurm rank on another node may still be
// writing, and its PID means nothing here: such files are left alone and named in a note. A PID
// reused by an unrelated process keeps a temp file alive until that process ends: the safe mistake.
import { hostname } from 'node:os';
import { readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { note as sayNote } from '../stage/warnings.js';

/** This host as it appears in temp names (letters, digits, _ and - only, so names parse back). */
export const HOST = hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'localhost';

export function tempPathFor(path: string, random: string): string {
  return `${path}.tmp-${HOST}-${process.pid}-${random}`;
}

/**
 * Where a command stages an output it publishes only with its others (filter: clean, removed, report):
 * a hidden sibling that keeps the extension (formats are told by it); sweepStaged removes dead ones.
 */
export function stagedPathFor(path: string): string {
  return join(dirname(path), `.partial-${HOST}-${process.pid}-${basename(path)}`);
}

/** Host (absent in names written before hosts were recorded) and PID of a staged file of output `name`, or undefined. */
export function stagedOwner(file: string, name: string): { host: string | undefined; pid: number } | undefined {
  if (!file.startsWith('.partial-')) return undefined;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^\\.partial-(?:(.+)-)?(\\d+)-${escaped}(?:\\.metadata\\.json)?(?:\\.tmp-.*)?$`).exec(file);
  return match ? { host: match[1], pid: Number(match[2]) } : undefined;
}

/**
 * Removes the staged copies of `path` (and their temp files) that dead runs on this host left; those of
 * running writers or other hosts stay and are named in a note. Returns the removed paths.
 */
export async function sweepStaged(path: string, note = sayNote): Promise<string[]> {
  const folder = dirname(resolve(path));
  const removed: string[] = [];
  for (const file of (await readdir(folder).catch(() => [] as string[])).sort()) {
    const owner = stagedOwner(file, basename(path));
    if (!owner) continue;
    const who = owner.pid === process.pid && (owner.host ?? HOST) === HOST ? 'dead' : ownerOf(owner.host, owner.pid);
    if (who !== 'dead') {
      note(`${join(folder, file)}: ${who === 'running' ? `pid ${owner.pid} is still writing ${path}` : `left by pid ${owner.pid} on host ${owner.host}, which may still be writing ${path}`}; left alone`);
      continue;
    }
    await rm(join(folder, file), { force: true });
    removed.push(join(folder, file));
  }
  if (removed.length) note(`removed ${removed.length} staged file(s) of ${path} (${removed.map((f) => basename(f)).join(', ')}): left by runs that no longer run`);
  return removed;
}

/** Temp files this process has open: its own others (a failed earlier attempt in-process) count as dead. */
export const openTemps = new Set<string>();

/**
 * Decides whether a dead run's temp file can be continued: returns the byte length to keep and the
 * state to resume from, or undefined (then the file is removed).
 */
export type TempAdopter = (deadTemp: string) => Promise<{ bytes: number; state: unknown } | undefined>;

export interface SweepOptions {
  adopt?: TempAdopter;
  note?: (message: string) => void;
}

// HOST-PID-RAND (host absent in names written before hosts were recorded), then a suffix (.ckpt.jsonl)
const TEMP_REST = /^(?:(.+)-)?(\d+)-([0-9a-f]{8})((?:\..+)?)$/;

interface TempGroup {
  stem: string;
  host: string | undefined;
  pid: number;
  suffixes: string[];
}

/** Temp files of `path` by writer, each with its checkpoint suffixes. */
async function tempsOf(path: string): Promise<TempGroup[]> {
  const folder = dirname(resolve(path));
  const prefix = `${basename(path)}.tmp-`;
  const groups = new Map<string, TempGroup>();
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const match = TEMP_REST.exec(name.slice(prefix.length));
    if (!match) continue;
    const [, host, pid, random, suffix] = match;
    const stem = join(folder, `${prefix}${host === undefined ? '' : `${host}-`}${pid}-${random}`);
    const group = groups.get(stem) ?? { stem, host, pid: Number(pid), suffixes: [] };
    group.suffixes.push(suffix);
    groups.set(stem, group);
  }
  return [...groups.values()].sort((a, b) => a.stem.localeCompare(b.stem));
}

export type Owner = 'dead' | 'running' | 'other-host';

export function ownerOf(host: string | undefined, pid: number): Owner {
  if (host !== undefined && host !== HOST) return 'other-host';
  return isRunning(pid) ? 'running' : 'dead';
}

/** Whether `pid` runs on this host (EPERM: it does, under another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files of `path` that dead runs left, or renames one to `myTemp` (with its checkpoint
 * files, truncated to the checkpoint) when `adopt` accepts it. Temp files of running writers, or of
 * writers on other hosts, stay and are named in a note.
 */
export async function sweepTemps(path: string, myTemp: string, options: SweepOptions = {}): Promise<{ adopted: unknown; removed: string[] }> {
  const note = options.note ?? sayNote;
  const removed: string[] = [];
  let adopted: unknown = undefined;
  for (const group of await tempsOf(path)) {
    const owner = group.pid === process.pid && (group.host ?? HOST) === HOST ? (openTemps.has(group.stem) ? 'running' : 'dead') : ownerOf(group.host, group.pid);
    if (owner === 'other-host') {
      note(`${group.stem}: left by pid ${group.pid} on host ${group.host}, which may still be writing ${path}; left alone (remove it if no job there runs)`);
      continue;
    }
    if (owner === 'running') {
      note(`${group.stem}: pid ${group.pid} is still writing ${path}; left alone`);
      continue;
    }
    if (adopted === undefined && options.adopt && group.suffixes.includes('')) {
      const resume = await options.adopt(group.stem).catch(() => undefined);
      if (resume) {
        for (const suffix of group.suffixes) await rename(group.stem + suffix, myTemp + suffix);
        await truncate(myTemp, resume.bytes);
        adopted = resume.state;
        continue;
      }
    }
    for (const suffix of group.suffixes) {
      const file = group.stem + suffix;
      if ((await stat(file).catch(() => null))?.isFile()) {
        await rm(file, { force: true });
        removed.push(file);
      }
    }
    note(`removed ${group.stem}${group.suffixes.length > 1 ? ' (and its checkpoint)' : ''}: left by pid ${group.pid}, which no longer runs`);
  }
  return { adopted, removed };
}
