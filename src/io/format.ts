import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import type { Format, InputNaming } from './types.js';

const FORMATS: readonly Format[] = ['parquet', 'arrow', 'jsonl'];

/** Extensions memsieve recognises; compression (`.gz`, `.zst`) is allowed on JSONL only. */
const EXTENSIONS: ReadonlyArray<[string, Format]> = [
  ['.parquet', 'parquet'],
  ['.pq', 'parquet'],
  ['.arrow', 'arrow'],
  ['.arrows', 'arrow'],
  ['.feather', 'arrow'],
  ['.ipc', 'arrow'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.jsonl.gz', 'jsonl'],
  ['.ndjson.gz', 'jsonl'],
  ['.jsonl.zst', 'jsonl'],
  ['.ndjson.zst', 'jsonl'],
];

/** "; check --after" when the option is known: the one flag to look at. */
export function checkOption(naming?: InputNaming): string {
  return naming?.option ? `; check ${naming.option}` : '';
}

/** What to do about a file whose format is unknown, with only flags the command has. */
function unknownFormatHint(path: string, naming?: InputNaming): string {
  const csv = /\.(csv|tsv)(\.gz)?$/i.test(path) ? '; CSV is not read: convert it to Parquet or JSONL (e.g. duckdb -c "COPY (FROM \'x.csv\') TO \'x.parquet\'")' : '';
  const rename = naming?.formatOption ? ', or pass --format parquet|arrow|jsonl' : ", or rename it with its format's extension";
  return `; use .parquet, .arrow/.arrows/.feather, .jsonl(.gz|.zst)${rename}${csv}`;
}

/** Format from `override` (--format) if given, else from the file extension. '-' (stdin/stdout) needs an override or defaults to Arrow IPC stream. */
export function detectFormat(path: string, override?: Format, naming?: InputNaming): Format {
  if (override !== undefined) {
    if (!FORMATS.includes(override)) {
      throw new UserError(`--format ${String(override)}: unknown format; use one of ${FORMATS.join(', ')}`);
    }
    return override;
  }
  if (path === '-') return 'arrow';
  const format = formatOfName(path);
  if (!format) {
    throw new UserError(`${naming?.option ? `${naming.option} ` : ''}${path}: cannot tell the format from the extension${unknownFormatHint(path, naming)}`);
  }
  return format;
}

function formatOfName(path: string): Format | undefined {
  const name = basename(path).toLowerCase();
  return EXTENSIONS.find(([ext]) => name.endsWith(ext))?.[1];
}

/** True when an Arrow IPC path should be written as a stream (not the random-access file format). */
export function isArrowStreamPath(path: string): boolean {
  return path === '-' || path.toLowerCase().endsWith('.arrows');
}

export type Compression = 'gzip' | 'zstd';

/** The compression a JSONL path's extension names (`.gz`, `.zst`), or null. */
export function compressionOf(path: string): Compression | null {
  const name = path.toLowerCase();
  return name.endsWith('.gz') ? 'gzip' : name.endsWith('.zst') ? 'zstd' : null;
}

/**
 * Expand inputs into the data files to read, in order: a directory stands for its data files
 * (recognised extensions, or every non-hidden file when `format` is given), sorted by name;
 * files are kept in the order given. Missing paths are a UserError naming them.
 */
export function expandInputs(paths: string | string[], format?: Format, naming?: InputNaming): string[] {
  const list = typeof paths === 'string' ? [paths] : paths;
  if (list.length === 0) throw new UserError(`no input given; pass ${naming?.option ?? '--input'} PATH`);
  const files: string[] = [];
  for (const path of list) {
    if (path === '-') {
      files.push(path);
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new UserError(`${path}: no such file or directory${checkOption(naming)}`);
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const names = readdirSync(path)
      .filter((name) => !name.startsWith('.') && !name.startsWith('_') && !name.includes('.tmp-'))
      .filter((name) => (format ? true : formatOfName(name) !== undefined))
      .sort();
    const inside = names.map((name) => join(path, name)).filter((file) => statSync(file).isFile());
    if (inside.length === 0) {
      throw new UserError(`${path}: directory holds no data files (.parquet, .arrow, .jsonl)${checkOption(naming)}`);
    }
    files.push(...inside);
  }
  return files;
}
