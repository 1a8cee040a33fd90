// Worker threads for blocking work (onnxruntime runs, feature math) with a small request/response layer.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Start the worker module `file` (an absolute path to a .js file, or .ts under vitest/tsx). */
export function startWorker(file: string, workerData: unknown): Worker {
  if (file.endsWith('.js')) return new Worker(file, { workerData });
  // Under vitest/tsx the sources are .ts: register tsx's loader inside the worker first (dev only).
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(file).href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** The path of a module next to `importMetaUrl`, with the same extension (.ts in dev, .js when built). */
export function siblingModule(importMetaUrl: string, name: string): string {
  const here = fileURLToPath(importMetaUrl);
  return here.replace(/[^/\\]+\.(ts|js)$/, `${name}.$1`);
}

/** A worker's first message (its ready answer); rejects if the worker fails or exits before it. */
export function firstMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker thread exited (code ${code}) before it was ready`)));
  });
}

/**
 * Requests to a worker, answered in any order by id; a worker that dies fails every pending and later request.
 * Answers are `{ id, result }` or `{ id, message }` (an error message).
 */
export class WorkerRpc {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;

  constructor(
    readonly worker: Worker,
    private readonly name: string,
  ) {
    worker.on('message', (message: { id: number; result?: unknown; message?: string }) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.message !== undefined) waiter.reject(new Error(`${this.name}: ${message.message}`));
      else waiter.resolve(message.result);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`${this.name}: worker thread exited (code ${code})`)));
  }

  request<T>(message: object, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      postTransferring((list) => this.worker.postMessage({ ...message, id }, list), transfer);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(error: Error): void {
    this.failure = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** Post with transfer where the buffers allow it; onnxruntime's output buffers may not be transferable. */
export function postTransferring(post: (transfer: ArrayBuffer[]) => void, transfer: ArrayBuffer[]): void {
  try {
    post(transfer);
  } catch {
    post([]);
  }
}
