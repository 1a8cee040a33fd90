// Progress on stderr: a redrawn bar on a TTY, plain periodic lines otherwise (logs, CI, ETL).
import { AsyncLocalStorage } from 'node:async_hooks';

/** Seconds between plain progress lines when stderr is not a TTY: MEMSIEVE_PROGRESS_SECONDS, else 10. */
function defaultLogSeconds(): number {
  const value = Number(process.env.MEMSIEVE_PROGRESS_SECONDS);
  return process.env.MEMSIEVE_PROGRESS_SECONDS !== undefined && Number.isFinite(value) && value >= 0 ? value : 10;
}

export interface ProgressOptions {
  label: string;
  quiet?: boolean;
  /** rows expected, when known (for the ETA) */
  totalRows?: number;
  /** seconds between plain log lines when stderr is not a TTY */
  logEverySeconds?: number;
  /** what the rate counts: tokens (model stages) or rows (commands that stream files) */
  unit?: 'tokens' | 'rows';
}

export class Progress {
  private rows = 0;
  private tokens = 0;
  private readonly started = Date.now();
  // the first line comes one interval in: a short run (or one failing on bad input) prints only its result
  private lastDraw = this.started;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly options: ProgressOptions) {}

  add(rows: number, tokens: number): void {
    this.rows += rows;
    this.tokens += tokens;
    if (this.options.quiet) return;
    const now = Date.now();
    const every = this.tty ? 200 : (this.options.logEverySeconds ?? defaultLogSeconds()) * 1000;
    if (now - this.lastDraw < every) return;
    this.lastDraw = now;
    const line = this.describe(now);
    if (this.tty) process.stderr.write(`\r${line}\x1b[K`);
    else process.stderr.write(`${new Date(now).toISOString()} ${line}\n`);
  }

  /** Info lines (warnings, notes) that must not tear the bar. */
  note(message: string): void {
    if (this.options.quiet) return;
    process.stderr.write(`${this.tty ? '\r\x1b[K' : ''}${this.options.label}: ${message}\n`);
  }

  /** Clears the bar (the command prints its own result). */
  end(): void {
    if (this.tty && !this.options.quiet) process.stderr.write('\r\x1b[K');
  }

  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  private describe(now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 1e-3);
    const rows = this.options.unit === 'rows';
    const rate = (rows ? this.rows : this.tokens) / seconds;
    const total = this.options.totalRows;
    let bar = '';
    let eta = '';
    if (total) {
      const done = Math.min(this.rows / total, 1);
      const width = 24;
      bar = `[${'#'.repeat(Math.round(done * width)).padEnd(width, '.')}] `;
      eta = this.rows > 0 ? ` ETA ${Math.round((seconds * (total - this.rows)) / this.rows)}s` : '';
    }
    const shownRate = rows ? `, ${Math.round(rate)} rows/s` : this.tokens ? `, ${Math.round(rate)} tokens/s` : '';
    return `${this.options.label} ${bar}${this.rows}${total ? `/${total}` : ''} rows${rows ? ' read' : ''}${shownRate}${eta}`;
  }
}

const readProgress = new AsyncLocalStorage<Progress>();

/**
 * Runs a command whose work is streaming files (filter, verify, train, compare, merge, add-ids) with
 * progress counting every row the readers (src/io/reader.ts) yield inside it: a bar on a terminal, a line
 * every MEMSIEVE_PROGRESS_SECONDS otherwise; nothing with `quiet`.
 */
export async function withReadProgress<T>(label: string, quiet: boolean | undefined, work: () => Promise<T>): Promise<T> {
  const progress = new Progress({ label, quiet, unit: 'rows' });
  try {
    return await readProgress.run(progress, work);
  } finally {
    progress.end();
  }
}

/** Called by the readers for each table they yield; counts only inside withReadProgress. */
export function countRowsRead(rows: number): void {
  readProgress.getStore()?.add(rows, 0);
}

/** A warning: one line on stderr, printed with --quiet too (something the user must know about the result). */
export function warn(message: string): void {
  process.stderr.write(`memsieve: warning: ${message}\n`);
}
