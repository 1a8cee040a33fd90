import type { Batch, BatchWriter } from './types.js';

/** Chunks assembled but not yet written before new model calls wait: memory stays bounded when writing is slow. */
export const WRITES_BEHIND = 4;

/** A chunk of input rows whose model calls may finish in any order. */
export interface PendingChunk {
  /** model calls of this chunk not finished yet */
  remaining: number;
}

/**
 * Model calls for consecutive chunks run with at most `limit` in flight (so neither model waits on the
 * main thread); finished chunks are written strictly in input order. Shared by score and audit.
 */
export class OrderedOutput<C extends PendingChunk> {
  private readonly chunks: C[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private writing: Promise<void> = Promise.resolve();
  private pendingWrites = 0;
  /** the first failed write (disk full…): stops new calls; close() and abort() surface it */
  private writeError: unknown = null;

  constructor(
    private readonly writer: BatchWriter,
    private readonly toBatch: (chunk: C) => Batch,
    private readonly limit: number,
    /** the stage's counters once a chunk is assembled, saved with a checkpoint that ends at it */
    private readonly stateAfter?: () => unknown,
  ) {}

  /** Queue a chunk; its calls are added with `run`. */
  add(chunk: C): void {
    this.chunks.push(chunk);
  }

  /** Start one model call of `chunk` once a slot is free; `call` stores its results in the chunk. */
  async run(chunk: C, call: () => Promise<void>): Promise<void> {
    if (this.writeError !== null) throw this.writeError;
    // counted before any await: a flush meanwhile must not write the chunk before this call's results
    chunk.remaining++;
    if (this.pendingWrites >= WRITES_BEHIND) {
      await this.writing.catch(() => {});
      if (this.writeError !== null) throw this.writeError;
    }
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    const job = call().then(() => {
      chunk.remaining--;
      this.flush();
    });
    const tracked = job.finally(() => this.inFlight.delete(tracked));
    tracked.catch(() => {}); // surfaced by the next race/all; avoids an unhandled rejection meanwhile
    this.inFlight.add(tracked);
  }

  /** Write the chunks at the head of the queue that are complete. */
  flush(): void {
    while (this.chunks.length > 0 && this.chunks[0].remaining === 0) {
      const batch = this.toBatch(this.chunks.shift()!);
      const state = this.stateAfter?.();
      this.pendingWrites++;
      this.writing = this.writing.then(() => this.writer.write(batch, state)).finally(() => this.pendingWrites--);
      this.writing.catch((error: unknown) => {
        this.writeError ??= error;
      });
    }
  }

  /** Wait for every call and write, then publish the output. */
  async close(): Promise<void> {
    await Promise.all(this.inFlight);
    this.flush();
    await this.writing;
    await this.writer.close();
  }

  /** After a failure: let calls settle, remove the partial output. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await this.writing.catch(() => {});
    await this.writer.abort();
  }
}
