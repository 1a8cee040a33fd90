// Tokenization off the main thread: a pool of worker threads, each holding the same tokenizer, encodes
// pieces of a batch in parallel; the main thread only moves texts out and packed ids back (transferred).
import { availableParallelism } from 'node:os';
import { unpackRows, type PackedRows } from '../models/batch-pack.js';
import type { TokenIds } from '../models/types.js';
import { firstMessage, siblingModule, startWorker, WorkerRpc } from '../worker-thread.js';
import type { Tokenizer } from './tokenizer.js';
import type { TokenizerWorkerInit } from './tokenizer-worker.js';

/** Encodes batches of texts, in order, exactly as `tokenizer.encodeTruncated` would one by one. */
export interface BatchTokenizer {
  encodeBatch(texts: string[], maxTokens: number): Promise<TokenIds[]>;
  close(): Promise<void>;
}

/** Texts per message: small enough to share a batch among the threads, big enough that messaging is noise. */
const PIECE_ROWS = 64;
/** Pieces queued at a worker: the next one is there when it finishes the current one. */
const PIECES_PER_WORKER = 2;

/**
 * Tokenizer threads when none are asked for: the cores the model backend leaves, less the main thread
 * (reading, writing, moving batches); at least 1, so tokenization never runs on the main thread.
 */
export function defaultTokenizerThreads(backendCores: number): number {
  return Math.max(1, availableParallelism() - 1 - backendCores);
}

/** `threads` worker threads tokenizing with `tokenizer`'s file and options; 0: on the calling thread. */
export async function openBatchTokenizer(tokenizer: Tokenizer, threads: number): Promise<BatchTokenizer> {
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`tokenizer threads must be a non-negative integer (got ${threads})`);
  if (threads === 0) {
    return {
      encodeBatch: async (texts, maxTokens) => texts.map((text) => tokenizer.encodeTruncated(text, maxTokens)),
      close: async () => {},
    };
  }
  return TokenizerPool.start(tokenizer, threads);
}

interface Piece {
  texts: string[];
  maxTokens: number;
  resolve(rows: PackedRows): void;
  reject(error: Error): void;
}

interface PoolWorker {
  rpc: WorkerRpc;
  queued: number;
}

class TokenizerPool implements BatchTokenizer {
  private readonly pieces: Piece[] = [];

  private constructor(private readonly workers: PoolWorker[]) {}

  static async start(tokenizer: Tokenizer, threads: number): Promise<TokenizerPool> {
    const init: TokenizerWorkerInit = { path: tokenizer.path, options: tokenizer.options };
    const file = siblingModule(import.meta.url, 'tokenizer-worker');
    const workers = Array.from({ length: threads }, () => startWorker(file, init));
    const answers = await Promise.allSettled(workers.map((worker) => firstMessage<{ ready: boolean; message?: string }>(worker)));
    const failed = answers.find((a) => a.status === 'rejected' || !a.value.ready);
    if (failed) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      const reason = failed.status === 'rejected' ? (failed.reason as Error).message : failed.value.message;
      throw new Error(`tokenizer thread: cannot load ${tokenizer.path} (${reason})`);
    }
    return new TokenizerPool(workers.map((worker, i) => ({ rpc: new WorkerRpc(worker, `tokenizer thread ${i}`), queued: 0 })));
  }

  async encodeBatch(texts: string[], maxTokens: number): Promise<TokenIds[]> {
    const size = Math.max(1, Math.min(PIECE_ROWS, Math.ceil(texts.length / this.workers.length)));
    const pieces: Promise<PackedRows>[] = [];
    for (let start = 0; start < texts.length; start += size) {
      pieces.push(new Promise((resolve, reject) => this.pieces.push({ texts: texts.slice(start, start + size), maxTokens, resolve, reject })));
    }
    this.dispatch();
    return (await Promise.all(pieces)).flatMap(unpackRows);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.rpc.close()));
  }

  /** Hand queued pieces, oldest first, to the least loaded workers. */
  private dispatch(): void {
    while (this.pieces.length > 0) {
      const worker = this.workers.reduce((best, w) => (w.queued < best.queued ? w : best));
      if (worker.queued >= PIECES_PER_WORKER) return;
      const piece = this.pieces.shift()!;
      worker.queued++;
      worker.rpc
        .request<PackedRows>({ texts: piece.texts, maxTokens: piece.maxTokens })
        .then(piece.resolve, piece.reject)
        .finally(() => {
          worker.queued--;
          this.dispatch();
        });
    }
  }
}
