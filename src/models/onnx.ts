import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { UserError } from '../errors.js';
import { packRows, splitRows } from './batch-pack.js';
import type { WorkerInit, WorkerRequest } from './onnx-worker.js';
import { siblingModule, startWorker, WorkerRpc } from '../worker-thread.js';
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
  private constructor(
    readonly name: string,
    readonly vocabSize: number,
    private readonly rpc: WorkerRpc,
  ) {}

  static async load(path: string, options: OnnxLoadOptions = {}): Promise<OnnxCausalLM> {
    const label = options.label ? `${options.label} ${path}` : path;
    try {
      await access(path);
    } catch {
      throw new UserError(`${label}: file not found`);
    }
    const largestId = options.tokenizerVocab === undefined ? undefined : options.tokenizerVocab - 1;
    const init: WorkerInit = { path, device: options.device ?? 'cpu', threads: options.threads ?? defaultThreads(), largestId };
    const worker = startWorker(siblingModule(import.meta.url, 'onnx-worker'), init);
    const ready = await new Promise<{ ready: boolean; vocab?: number; kind?: 'device' | 'model' | 'bug'; message?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!ready.ready) {
      await worker.terminate();
      // a device error names --device itself: the model file is fine
      if (ready.kind === 'device') throw new UserError(ready.message!);
      const message = `${label}: ${ready.message}`;
      throw ready.kind === 'model' ? new UserError(message) : new Error(message);
    }
    const vocab = ready.vocab!;
    if (options.tokenizerVocab !== undefined && options.tokenizerVocab > vocab) {
      await worker.terminate();
      throw new UserError(
        `${label}: the tokenizer has ${options.tokenizerVocab} tokens but the model's logits cover only ${vocab}; use the tokenizer the model was trained with`,
      );
    }
    return new OnnxCausalLM(label, vocab, new WorkerRpc(worker, label));
  }

  logits(batch: TokenIds[]): Promise<BatchLogits> {
    return this.request({ op: 'logits', rows: packRows(batch) });
  }

  async greedy(prefixes: TokenIds[], n: number): Promise<TokenIds[]> {
    const flat: Int32Array = await this.request({ op: 'greedy', rows: packRows(prefixes), steps: n });
    return prefixes.map((_, r) => flat.slice(r * n, (r + 1) * n));
  }

  async teacherForcedArgmax(rows: TokenIds[], start: number): Promise<TokenIds[]> {
    const flat: Int32Array = await this.request({ op: 'argmax', rows: packRows(rows), start });
    return splitRows(flat, rows, start);
  }

  close(): Promise<void> {
    return this.rpc.close();
  }

  private request<T>(request: Distribute<WorkerRequest>): Promise<T> {
    return this.rpc.request<T>(request, [request.rows.flat.buffer as ArrayBuffer, request.rows.offsets.buffer as ArrayBuffer]);
  }
}

export function loadOnnxModel(path: string, options: OnnxLoadOptions = {}): Promise<OnnxCausalLM> {
  return OnnxCausalLM.load(path, options);
}
