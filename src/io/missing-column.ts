// "No column" errors list the columns of the FILE, not of the batch a command read: readers project
// to the few columns a command needs, and listing those ("columns: id") hides the name the user meant.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { RecordBatchReader } from 'apache-arrow';
import { parquetMetadata, parquetSchema } from 'hyparquet';
import { UserError } from '../errors.js';
import { compressionOf, detectFormat, expandInputs } from './format.js';

/** Columns named in a message before "… N in all". */
const COLUMNS_SHOWN = 30;
/** Arrow files are opened whole to read their schema only up to this size. */
const ARROW_PEEK_BYTES = 256 << 20;
const JSONL_PEEK_BYTES = 1 << 20;

export interface MissingColumn {
  /** what the message starts with: `--labels golden.parquet`, or a path */
  subject: string;
  name: string;
  /** the file (or folder, or files) read; its columns are listed */
  file: string | string[];
  /** columns the command saw, listed when the file's cannot be read back */
  seen?: string[];
  /** what the column is for, e.g. `for --rule 'x >= 1'` */
  purpose?: string;
  /** what to do, e.g. `choose one with --label-column` */
  hint?: string;
}

/** `S has no column "x" for P (its columns: a, b, …; 28 in all); did you mean "y"? H` */
export function missingColumnError(m: MissingColumn): UserError {
  const columns = fileColumnNames(m.file) ?? m.seen ?? [];
  const shown = columns.length > COLUMNS_SHOWN ? `${columns.slice(0, COLUMNS_SHOWN).join(', ')}, …; ${columns.length} in all` : columns.join(', ');
  const close = closestNames(m.name, columns);
  const suggestion = close.length === 0 ? '' : close.length === 1 ? `; did you mean "${close[0]}"?` : `; did you mean one of ${close.map((c) => `"${c}"`).join(', ')}?`;
  return new UserError(`${m.subject} has no column "${m.name}"${m.purpose ? ` ${m.purpose}` : ''} (its columns: ${shown})${suggestion}${m.hint ? `${suggestion ? ' ' : '; '}${m.hint}` : ''}`);
}

/** The top-level column names of a data file (or of the first file a folder stands for); null when they cannot be read cheaply. */
export function fileColumnNames(paths: string | string[]): string[] | null {
  try {
    const first = expandInputs(paths)[0];
    if (first === '-') return null;
    switch (detectFormat(first)) {
      case 'parquet':
        return parquetColumns(first);
      case 'arrow':
        return arrowColumns(first);
      case 'jsonl':
        return jsonlColumns(first);
    }
  } catch {
    return null;
  }
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const n = readSync(fd, buffer, 0, length, offset);
  return buffer.subarray(0, n);
}

/** From the footer alone: its last 8 bytes give the metadata's length. */
function parquetColumns(path: string): string[] {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const length = readAt(fd, size - 8, 4).readUInt32LE(0);
    const tail = readAt(fd, size - length - 8, length + 8);
    const buffer = tail.buffer.slice(tail.byteOffset, tail.byteOffset + tail.length) as ArrayBuffer;
    return parquetSchema(parquetMetadata(buffer)).children.map((child) => child.element.name);
  } finally {
    closeSync(fd);
  }
}

function arrowColumns(path: string): string[] | null {
  const size = statSync(path).size;
  if (size > ARROW_PEEK_BYTES) return null;
  const fd = openSync(path, 'r');
  try {
    const reader = RecordBatchReader.from(readAt(fd, 0, size));
    reader.open();
    return reader.schema.fields.map((f) => f.name);
  } finally {
    closeSync(fd);
  }
}

/** The keys of the first megabyte's complete lines, in order of appearance (the reader's columns). */
function jsonlColumns(path: string): string[] | null {
  if (compressionOf(path)) return null;
  const fd = openSync(path, 'r');
  try {
    const text = readAt(fd, 0, JSONL_PEEK_BYTES).toString('utf8');
    const lines = text.split('\n');
    if (lines.length > 1) lines.pop(); // a line the megabyte cut off
    const names = new Set<string>();
    for (const line of lines) {
      if (line.trim() === '') continue;
      const value = JSON.parse(line) as object;
      for (const key of Object.keys(value)) names.add(key);
    }
    return [...names];
  } finally {
    closeSync(fd);
  }
}

/**
 * Columns the user may have meant, in file order: a spelling within a few edits (`baseline_leed`,
 * `teacher_memorised`), else columns sharing a word stem (`memorized` → `mem_student`); at most 5.
 */
export function closestNames(name: string, columns: string[]): string[] {
  const wanted = name.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  const near = columns
    .map((column) => ({ column, distance: editDistance(wanted, column.toLowerCase()) }))
    .filter((c) => c.distance <= limit)
    .sort((a, b) => a.distance - b.distance);
  if (near.length > 0) return near.filter((c) => c.distance === near[0].distance).slice(0, 5).map((c) => c.column);
  const words = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3);
  const stems = words(name);
  const shareStem = (column: string) => words(column).some((w) => stems.some((s) => s.startsWith(w) || w.startsWith(s)));
  return columns.filter(shareStem).slice(0, 5);
}

/** Levenshtein distance: insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
