// Progress on stderr: a redrawn bar on a TTY, plain periodic lines otherwise (logs, CI, ETL).

export interface ProgressOptions {
  label: string;
  quiet?: boolean;
  /** rows expected, when known (for the ETA) */
  totalRows?: number;
  /** seconds between plain log lines when stderr is not a TTY */
  logEverySeconds?: number;
}

export class Progress {
  private rows = 0;
  private tokens = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly options: ProgressOptions) {}

  add(rows: number, tokens: number): void {
    this.rows += rows;
    this.tokens += tokens;
    if (this.options.quiet) return;
    const now = Date.now();
    const every = this.tty ? 200 : (this.options.logEverySeconds ?? 10) * 1000;
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

  finish(summary: object): void {
    if (this.tty && !this.options.quiet) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${JSON.stringify(summary)}\n`);
  }

  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  private describe(now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 1e-3);
    const rate = this.tokens / seconds;
    const total = this.options.totalRows;
    let bar = '';
    let eta = '';
    if (total) {
      const done = Math.min(this.rows / total, 1);
      const width = 24;
      bar = `[${'#'.repeat(Math.round(done * width)).padEnd(width, '.')}] `;
      eta = this.rows > 0 ? ` ETA ${Math.round((seconds * (total - this.rows)) / this.rows)}s` : '';
    }
    return `${this.options.label} ${bar}${this.rows}${total ? `/${total}` : ''} rows${this.tokens ? `, ${Math.round(rate)} tokens/s` : ''}${eta}`;
  }
}
