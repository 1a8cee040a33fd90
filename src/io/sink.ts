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
