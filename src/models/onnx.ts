import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { packRows } from './batch-pack.js';
import type { FeaturesResult, KlRole, WorkerInit, WorkerRequest } from './onnx-worker.js';
import type { BatchLogits, CausalLM, Device, TokenIds } from './types.js';

export interface OnnxLoadOptions {
  device?: Device;
  /** intra-op threads of this session */
  threads?: number;
  /** how the model was named on the command line, for error messages (e.g. "--teacher") */
  label?: string;
  /** the tokenizer's vocabulary size: loading fails if the logits cannot cover it */
  tokenizerVocab?: number;
}

/** Default intra-op threads per session when two models run side by side. */
export function defaultThreads(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

/** A causal LM on onnxruntime-node, running in its own worker thread. */
export class OnnxCausalLM implements CausalLM {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;

  private constructor(
    readonly name: string,
    readonly vocabSize: number,
    private readonly worker: Worker,
  ) {
    worker.on('message', (message: { id: number; result?: unknown; message?: string }) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.message !== undefined) waiter.reject(new Error(`${this.name}: ${message.message}`));
      else waiter.resolve(message.result);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`${this.name}: model worker exited (code ${code})`)));
  }

  static async load(path: string, options: OnnxLoadOptions = {}): Promise<OnnxCausalLM> {
    const label = options.label ? `${options.label} ${path}` : path;
    try {
      await access(path);
    } catch {
      throw new UserError(`${label}: file not found`);
    }
    const init: WorkerInit = { path, device: options.device ?? 'cpu', threads: options.threads ?? defaultThreads() };
    const worker = startWorker(init);
    const ready = await new Promise<{ ready: boolean; vocab?: number; userError?: boolean; message?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!ready.ready) {
      await worker.terminate();
      const message = `${label}: ${ready.message}`;
      throw ready.userError ? new UserError(message) : new Error(message);
    }
    const vocab = ready.vocab!;
    if (options.tokenizerVocab !== undefined && options.tokenizerVocab > vocab) {
      await worker.terminate();
      throw new UserError(
        `${label}: the tokenizer has ${options.tokenizerVocab} tokens but the model's logits cover only ${vocab}; use the tokenizer the model was trained with`,
      );
    }
    return new OnnxCausalLM(label, vocab, worker);
  }

  logits(batch: TokenIds[]): Promise<BatchLogits> {
    return this.request({ op: 'logits', rows: packRows(batch) });
  }

  /** Per-row nll and suffix stats plus log-probabilities at the KL temperature (see onnx-worker.ts). */
  features(batch: TokenIds[], temperature: number, prefixTokens: number, suffixTokens: number, klRole: KlRole): Promise<FeaturesResult> {
    return this.request({ op: 'features', rows: packRows(batch), temperature, prefixTokens, suffixTokens, klRole });
  }

  async greedy(prefixes: TokenIds[], n: number): Promise<TokenIds[]> {
    const flat: Int32Array = await this.request({ op: 'greedy', rows: packRows(prefixes), steps: n });
    return prefixes.map((_, r) => flat.slice(r * n, (r + 1) * n));
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private request<T>(request: Distribute<WorkerRequest>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const message = { ...request, id } as WorkerRequest;
      this.worker.postMessage(message, [message.rows.flat.buffer as ArrayBuffer, message.rows.offsets.buffer as ArrayBuffer]);
    });
  }

  private failAll(error: Error): void {
    this.failure = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

export function loadOnnxModel(path: string, options: OnnxLoadOptions = {}): Promise<OnnxCausalLM> {
  return OnnxCausalLM.load(path, options);
}

function startWorker(init: WorkerInit): Worker {
  const here = fileURLToPath(import.meta.url);
  const file = here.replace(/onnx\.(ts|js)$/, 'onnx-worker.$1');
  if (file.endsWith('.js')) return new Worker(file, { workerData: init });
  // Under vitest/tsx the sources are .ts: register tsx's loader inside the worker first (dev only).
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(file).href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}
