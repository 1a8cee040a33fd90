// No command writes over one of its inputs. Every writing command calls refuseOverwrite first thing, before
// it reads anything: paths are compared as files (symlinks resolved; device + inode, so a hard link or another
// path to the same file counts), not as strings.
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve, sep } from 'node:path';
import { UserError } from '../errors.js';

/** Paths by the option that named them, e.g. `{ '--input': ['a.parquet'], '--teacher': 't.onnx' }`; '-' (stdin/stdout) and undefined are skipped. */
export type PathsByOption = Record<string, string | readonly string[] | undefined>;

interface Located {
  option: string;
  path: string;
  /** real path (symlinks resolved); for a path that does not exist yet, its nearest existing folder's real path + the rest */
  real: string;
  /** device and inode, when the path exists */
  id?: string;
  isDirectory: boolean;
}

async function locate(option: string, path: string): Promise<Located> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => null);
  if (info) return { option, path, real: await realpath(absolute), id: `${info.dev}:${info.ino}`, isDirectory: info.isDirectory() };
  // not there yet: it cannot be an input, but its folder may be one (or a link into one)
  let folder = dirname(absolute);
  const rest = [basename(absolute)];
  for (;;) {
    const real = await realpath(folder).catch(() => null);
    if (real !== null) return { option, path, real: [real, ...rest].join(sep), isDirectory: false };
    if (dirname(folder) === folder) return { option, path, real: absolute, isDirectory: false };
    rest.unshift(basename(folder));
    folder = dirname(folder);
  }
}

let lastOutputs: string[] = [];

/** The outputs the running command declared to refuseOverwrite: what a write error without a path names. */
export function declaredOutputs(): string[] {
  return lastOutputs;
}

function inside(path: string, folder: string): boolean {
  return path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

async function locateAll(paths: PathsByOption): Promise<Located[]> {
  const pairs = Object.entries(paths).flatMap(([option, value]) =>
    (value === undefined ? [] : typeof value === 'string' ? [value] : value).filter((p) => p !== '-' && p !== '').map((p) => [option, p] as const),
  );
  return Promise.all(pairs.map(([option, path]) => locate(option, path)));
}

/**
 * Fails with a UserError (exit 2) naming both paths when an output is an input (the same file by any path), or
 * another output of the command,
 * lies inside an input folder (a rerun would read it as input), or is a folder holding an input (folder
 * outputs — distill, export — are replaced whole).
 */
export async function refuseOverwrite(outputs: PathsByOption, inputs: PathsByOption): Promise<void> {
  const [outs, ins] = await Promise.all([locateAll(outputs), locateAll(inputs)]);
  lastOutputs = outs.map((o) => o.path);
  // two outputs of one command in one file: the later would write over the earlier
  for (const [i, a] of outs.entries()) {
    const b = outs.slice(i + 1).find((o) => (a.id !== undefined && o.id === a.id) || o.real === a.real);
    if (b) throw new UserError(`${a.option} ${a.path} and ${b.option} ${b.path} name the same file: each output needs its own; choose another path for one`);
  }
  for (const out of outs) {
    for (const input of ins) {
      const named = `${out.option} ${out.path}`;
      const source = `${input.option} ${input.path}`;
      if (out.id !== undefined && out.id === input.id) {
        throw new UserError(`${named} is the same file as ${source}${out.path === input.path ? '' : ' (a link or another path to it)'}: no command writes over its input; choose another output`);
      }
      if (input.isDirectory && inside(out.real, input.real)) {
        throw new UserError(`${named} lies inside the input folder ${source}: it would be read as input; choose an output outside it`);
      }
      if (out.isDirectory && inside(input.real, out.real)) {
        throw new UserError(`${source} lies inside the output folder ${named}, which this command replaces: choose another output folder`);
      }
    }
  }
}
