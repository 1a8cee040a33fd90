// Progress on stderr: a redrawn bar with rate and ETA on a terminal, plain periodic lines otherwise
// (logs, CI, ETL). Totals come from the input: Parquet footers exactly, else the share of the input's
// bytes read so far (io/reader.ts, `expected()`).
import { AsyncLocalStorage } from 'node:async_hooks';
import { basename } from 'node:path';
import type { BatchReader, ExpectedRows } from './io/types.js';

/** Seconds between plain progress lines when stderr is not a TTY: MEMSIEVE_PROGRESS_SECONDS, else 10. */
function defaultLogSeconds(): number {
  const value = Number(process.env.MEMSIEVE_PROGRESS_SECONDS);
  return process.env.MEMSIEVE_PROGRESS_SECONDS !== undefined && Number.isFinite(value) && value >= 0 ? value : 10;
}

const BAR_WIDTH = 24;
/** A terminal bar is redrawn at most this often. */
const BAR_MS = 200;

export interface ProgressOptions {
  label: string;
  quiet?: boolean;
  /** the rows expected in all (read again at each draw: an estimate improves as the input is read) */
  expected?: () => ExpectedRows | undefined;
  /** seconds between plain log lines when stderr is not a TTY */
  logEverySeconds?: number;
  /** what the rate counts: tokens (model stages) or rows (commands that stream files) */
  unit?: 'tokens' | 'rows';
}

/** One pass over an input: a command streaming several files (filter: scores, then corpus) shows each. */
interface Pass {
  source?: BatchReader;
  rows: number;
  tokens: number;
  started: number;
}

export class Progress {
  private readonly started = Date.now();
  // the first line comes one interval in: a short run (or one failing on bad input) prints only its result
  private lastDraw = this.started;
  private readonly tty = Boolean(process.stderr.isTTY);
  private pass: Pass = { rows: 0, tokens: 0, started: this.started };
  private lastAdd = this.started;
  /** `memsieve run` shows its steps' progress even when a step's options say quiet */
  private readonly step = currentStep();
  private readonly drawn: boolean;

  constructor(private readonly options: ProgressOptions) {
    this.drawn = !options.quiet || this.step !== undefined;
  }

  /** Rows (and tokens) done; `source` starts a new pass when it is another reader than the last. */
  add(rows: number, tokens: number, source?: BatchReader): void {
    // a new pass started when the last one's rows ended (its first batch took time to read too)
    if (source !== undefined && source !== this.pass.source) this.pass = { source, rows: 0, tokens: 0, started: this.lastAdd };
    this.lastAdd = Date.now();
    this.pass.rows += rows;
    this.pass.tokens += tokens;
    if (!this.drawn) return;
    const now = Date.now();
    const every = this.tty ? BAR_MS : (this.options.logEverySeconds ?? defaultLogSeconds()) * 1000;
    if (now - this.lastDraw < every) return;
    this.lastDraw = now;
    const line = this.describe(now);
    if (this.tty) process.stderr.write(`\r${line}\x1b[K`);
    else process.stderr.write(`${new Date(now).toISOString()} ${line}\n`);
  }

  /** Info lines (notes: resuming, short rows) that must not tear the bar; warnings go through src/stage/warnings.ts. */
  note(message: string): void {
    if (this.options.quiet) return;
    process.stderr.write(`${this.tty ? '\r\x1b[K' : ''}${this.options.label}: ${message}\n`);
  }

  /** Clears the bar (the command prints its own result). */
  end(): void {
    if (this.tty && this.drawn) process.stderr.write('\r\x1b[K');
  }

  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** `score [#######.................] 31% 620/2000 rows, 3547 tokens/s, ETA 1m 05s` */
  describe(now = Date.now()): string {
    const { rows, tokens, started, source } = this.pass;
    const seconds = Math.max((now - started) / 1000, 1e-3);
    const countsRows = this.options.unit === 'rows';
    const rate = (countsRows ? rows : tokens) / seconds;
    const expected = source ? source.expected() : this.options.expected?.();
    let bar = '';
    let eta = '';
    let of = '';
    if (expected && expected.rows > 0) {
      const done = Math.min(rows / expected.rows, 1);
      bar = `[${'#'.repeat(Math.round(done * BAR_WIDTH)).padEnd(BAR_WIDTH, '.')}] ${Math.floor(done * 100)}% `;
      of = `/${expected.exact ? '' : '~'}${expected.rows}`;
      if (rows > 0) eta = `, ETA ${duration(Math.max(expected.rows - rows, 0) * (seconds / rows))}`;
    }
    const shownRate = countsRows ? `, ${Math.round(rate)} rows/s` : tokens ? `, ${Math.round(rate)} tokens/s` : '';
    const what = source ? ` ${basename(source.path)}` : '';
    const step = this.step !== undefined ? `step ${this.step}: ` : '';
    return `${step}${this.options.label}${what} ${bar}${rows}${of} rows${countsRows ? ' read' : ''}${shownRate}${eta}`;
  }
}

/** 75 → "1m 15s", 4000 → "1h 06m" */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const readProgress = new AsyncLocalStorage<Progress>();
const stepProgress = new AsyncLocalStorage<string>();

/**
 * Runs a command whose work is streaming files (filter, verify, train, compare, merge, add-ids) with
 * progress counting every row the readers (src/io/reader.ts) yield inside it: a bar per file read on a
 * terminal, a line every MEMSIEVE_PROGRESS_SECONDS otherwise; nothing with `quiet`.
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
export function countRowsRead(rows: number, source: BatchReader): void {
  readProgress.getStore()?.add(rows, 0, source);
}

/** Runs a pipeline step: progress inside it is shown, labelled with the step, whatever the step's quiet says. */
export function withStepProgress<T>(stepId: string, work: () => Promise<T>): Promise<T> {
  return stepProgress.run(stepId, work);
}

/** The pipeline step this code runs in: in this process, or a shard process the runner started (MEMSIEVE_STEP). */
export function currentStep(): string | undefined {
  return stepProgress.getStore() ?? (process.env.MEMSIEVE_STEP || undefined);
}
