// Resume inside a stage: a writer opened with a fingerprint keeps a journal beside its temp file
// (`OUT.tmp-HOST-PID-RAND.ckpt.jsonl`). Line 1 names the fingerprint; each later line is a checkpoint
// taken after the temp file was fsynced at a batch boundary: rows written, bytes of the temp file,
// what the writer needs to go on (Parquet: the row groups' metadata, since the footer is only written
// at the end) and the stage's counters. A rerun with the same fingerprint takes the dead run's temp
// file over, cut back to its last checkpoint; any other rerun removes it (litter.ts).
import { open, readFile, stat, truncate, type FileHandle } from 'node:fs/promises';
import type { TempAdopter } from './litter.js';

export const JOURNAL_SUFFIX = '.ckpt.jsonl';
const VERSION = 1;

/** Where a resumed writer starts: rows already in the temp file and the stage state saved with them. */
export interface ResumePoint {
  rows: number;
  /** bytes of the temp file at that checkpoint */
  bytes: number;
  stage: unknown;
  /** the writer's state per checkpoint, oldest first */
  writer: unknown[];
  /** byte length of the journal's valid lines */
  journalBytes: number;
}

interface Entry {
  rows: number;
  bytes: number;
  writer?: unknown;
  stage?: unknown;
}

/** Accepts a dead run's temp file when its journal has this fingerprint and a checkpoint its file still holds. */
export function resumeAdopter(fingerprint: string, format: string): TempAdopter {
  return async (temp) => {
    const text = await readFile(temp + JOURNAL_SUFFIX, 'utf8').catch(() => null);
    if (text === null) return undefined;
    const size = (await stat(temp)).size;
    let offset = 0;
    type Header = { checkpoint: number; fingerprint: string; format: string };
    let header: Header | null = null;
    let last: Entry | null = null;
    let lastEnd = 0;
    const writer: unknown[] = [];
    let writerAtLast = 0;
    while (offset < text.length) {
      const end = text.indexOf('\n', offset);
      if (end < 0) break; // a torn last line
      let value: unknown;
      try {
        value = decodeJson(text.slice(offset, end));
      } catch {
        break;
      }
      offset = end + 1;
      if (!header) {
        const first = value as Header;
        if (first?.checkpoint !== VERSION || first.fingerprint !== fingerprint || first.format !== format) return undefined;
        header = first;
        lastEnd = offset;
        continue;
      }
      const entry = value as Entry;
      if (entry.bytes > size) break; // the file lost what this checkpoint counted (a crash of the machine)
      writer.push(entry.writer);
      last = entry;
      lastEnd = offset;
      writerAtLast = writer.length;
    }
    if (!header || !last) return undefined;
    const point: ResumePoint = { rows: last.rows, bytes: last.bytes, stage: last.stage, writer: writer.slice(0, writerAtLast), journalBytes: Buffer.byteLength(text.slice(0, lastEnd)) };
    return { bytes: last.bytes, state: point };
  };
}

/** Appends checkpoints for one temp file; `save` makes the data durable first, so a checkpoint never counts bytes a crash could lose. */
export class Journal {
  private constructor(
    private readonly handle: FileHandle,
    private readonly data: { handle: FileHandle; readonly size: number },
  ) {}

  static async open(temp: string, data: { handle: FileHandle; readonly size: number }, fingerprint: string, format: string, resumed?: ResumePoint): Promise<Journal> {
    const path = temp + JOURNAL_SUFFIX;
    if (resumed) {
      await truncate(path, resumed.journalBytes);
      return new Journal(await open(path, 'a'), data);
    }
    const handle = await open(path, 'w');
    await handle.write(`${encodeJson({ checkpoint: VERSION, fingerprint, format })}\n`);
    return new Journal(handle, data);
  }

  async save(rows: number, writer: unknown, stage: unknown): Promise<void> {
    await this.data.handle.sync();
    const entry: Entry = { rows, bytes: this.data.size, writer, stage };
    await this.handle.write(`${encodeJson(entry)}\n`);
    await this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** JSON that keeps what Parquet metadata holds: bigints, bytes, -0, NaN and infinities. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return { $number: Object.is(v, -0) ? '-0' : String(v) };
    return v;
  });
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.length !== 1) return v;
    const o = v as Record<string, string>;
    if ('$bigint' in o) return BigInt(o.$bigint);
    if ('$bytes' in o) return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
    if ('$number' in o) return Number(o.$number);
    return v;
  });
}
