import { createAtomicFile } from './atomic.js';

/** Where a writer's bytes go: an atomic file (published on close) or stdout. */
export interface ByteSink {
  write(data: Uint8Array | string): Promise<void>;
  /** publish (rename into place) for files; flush for stdout */
  close(): Promise<void>;
  /** remove the temporary file; nothing to undo on stdout */
  abort(): Promise<void>;
}

export async function openSink(path: string): Promise<ByteSink> {
  if (path === '-') return stdoutSink();
  const file = await createAtomicFile(path);
  return { write: (data) => file.write(data), close: () => file.publish(), abort: () => file.discard() };
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
    write: (data) => inner.write(compress(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)),
    close: () => inner.close(),
    abort: () => inner.abort(),
  };
}
