import { rm } from 'node:fs/promises';
import { createAtomicFile } from './atomic.js';
import { JOURNAL_SUFFIX, Journal, resumeAdopter, type ResumePoint } from './checkpoint.js';
import { note } from '../stage/warnings.js';

/** Where a writer's bytes go: an atomic file (published on close) or stdout. */
export interface ByteSink {
  write(data: Uint8Array | string): Promise<void>;
  /** publish (rename into place) for files; flush for stdout */
  close(): Promise<void>;
  /** remove the temporary file; nothing to undo on stdout */
  abort(): Promise<void>;
  /** with a checkpointed sink: record that `rows` rows are in the file (call at a batch boundary) */
  checkpoint?(rows: number, writer: unknown, stage: unknown): Promise<void>;
  /** with a checkpointed sink that took over a dead run's temp file: where that run stopped */
  readonly resumed?: ResumePoint;
}

export interface SinkOptions {
  /** keep a resumable checkpoint journal under this fingerprint (see checkpoint.ts) */
  checkpoint?: { fingerprint: string; format: string };
  note?: (message: string) => void;
}

export async function openSink(path: string, options: SinkOptions = {}): Promise<ByteSink> {
  if (path === '-') return stdoutSink();
  const checkpoint = options.checkpoint;
  if (!checkpoint) {
    const file = await createAtomicFile(path, { note: options.note });
    return { write: (data) => file.write(data), close: () => file.publish(), abort: () => file.discard() };
  }
  const file = await createAtomicFile(path, { adopt: resumeAdopter(checkpoint.fingerprint, checkpoint.format), note: options.note });
  const resumed = file.adopted as ResumePoint | undefined;
  const journal = await Journal.open(file.tempPath, file, checkpoint.fingerprint, checkpoint.format, resumed);
  let saved = resumed !== undefined;
  const removeJournal = async () => {
    await journal.close().catch(() => undefined);
    await rm(file.tempPath + JOURNAL_SUFFIX, { force: true });
  };
  return {
    resumed,
    write: (data) => file.write(data),
    async checkpoint(rows, writer, stage) {
      await journal.save(rows, writer, stage);
      saved = true;
    },
    async close() {
      await file.publish();
      await removeJournal();
    },
    async abort() {
      if (!saved) {
        await file.discard();
        await removeJournal();
        return;
      }
      // a failed run keeps its checkpoint: a rerun with the same arguments continues from it
      await journal.close().catch(() => undefined);
      await file.keep();
      note(`kept ${file.tempPath} and its checkpoint; the same command continues from it, another one removes it`);
    },
  };
}

function stdoutSink(): ByteSink {
  const out = process.stdout;
  const wait = () => new Promise<void>((resolve) => out.once('drain', resolve));
  return {
    async write(data) {
      if (!out.write(data)) await wait();
    },
    async close() {
      if (out.writableNeedDrain) await wait();
    },
    async abort() {},
  };
}

/**
 * Compresses each write as its own gzip member or zstd frame: both formats define a file of several as
 * their concatenation, and every JSONL writer call carries a whole batch of lines, so the ratio holds.
 */
export function compressingSink(inner: ByteSink, compress: (data: Uint8Array) => Uint8Array): ByteSink {
  return {
    resumed: inner.resumed,
    checkpoint: inner.checkpoint?.bind(inner),
    write: (data) => inner.write(compress(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)),
    close: () => inner.close(),
    abort: () => inner.abort(),
  };
}
