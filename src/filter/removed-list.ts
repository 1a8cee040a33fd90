// The list of removed rows (id, risk, content hash, features) beside manifest.json: JSON Lines in the
// removed file's row order, written and read one row at a time. A JSON array inside the manifest would
// have to be built as one string, and V8 strings stop at 512 MiB (about 2.5M removed rows).
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { UserError } from '../errors.js';
import type { RemovedRow } from './types.js';

export const REMOVED_LIST_FILE = 'removed-rows.jsonl';
/** the report page lists this many removed rows, highest risk first */
export const TOP_REMOVED = 200;
const FLUSH_BYTES = 1 << 20;

export class RemovedListWriter {
  readonly top = new TopRemoved(TOP_REMOVED);
  rows = 0;
  private pending: string[] = [];
  private pendingBytes = 0;

  private constructor(private readonly file: FileHandle) {}

  static async create(path: string): Promise<RemovedListWriter> {
    return new RemovedListWriter(await open(path, 'w'));
  }

  async add(row: RemovedRow): Promise<void> {
    const line = JSON.stringify(row) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.rows++;
    this.top.add(row);
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.file.close();
  }

  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    await this.file.write(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** The rows of a removed-rows list, in order; a line that is not a removed row is an error naming it. */
export async function* readRemovedList(path: string): AsyncGenerator<RemovedRow> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    let row: RemovedRow;
    try {
      row = JSON.parse(line) as RemovedRow;
    } catch (error) {
      throw new UserError(`${path}:${number}: not JSON (${(error as Error).message})`);
    }
    if (typeof row !== 'object' || row === null || typeof row.id !== 'string' || typeof row.risk !== 'number' || typeof row.row_sha256 !== 'string') {
      throw new UserError(`${path}:${number}: not a removed row (needs id, risk, row_sha256)`);
    }
    yield row;
  }
}

/** The k highest-risk rows seen, ties kept in arrival order; memory stays O(k). */
export class TopRemoved {
  private rows: RemovedRow[] = [];

  constructor(private readonly k: number) {}

  add(row: RemovedRow): void {
    this.rows.push(row);
    if (this.rows.length >= 2 * this.k) this.trim();
  }

  /** highest risk first */
  result(): RemovedRow[] {
    this.trim();
    return this.rows;
  }

  private trim(): void {
    // Array.prototype.sort is stable: among equal risks the earlier row stays ahead
    this.rows = this.rows.sort((a, b) => b.risk - a.risk).slice(0, this.k);
  }
}
