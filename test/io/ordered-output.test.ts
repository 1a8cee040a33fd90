// OrderedOutput writes behind the model calls, in input order, with a bounded number of chunks waiting
// for a slow writer (memory follows WRITES_BEHIND chunks, not the corpus).
import { setTimeout as sleep } from 'node:timers/promises';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { OrderedOutput, WRITES_BEHIND, type PendingChunk } from '../../src/io/ordered-output.js';
import type { Batch, BatchWriter } from '../../src/io/types.js';

interface Chunk extends PendingChunk {
  index: number;
  /** model calls whose results are in */
  finished: number;
}

describe('OrderedOutput', () => {
  it('writes each chunk after its calls, in input order, and never lets more than WRITES_BEHIND assembled chunks wait for a slow writer', async () => {
    const written: number[] = [];
    let assembled = 0;
    let mostWaiting = 0;
    const writer = {
      write: async (batch: Batch) => {
        await sleep(15); // a slow disk
        written.push(Number(batch.getChild('index')!.get(0)));
      },
      close: async () => {},
      abort: async () => {},
    } as unknown as BatchWriter;
    const toBatch = (chunk: Chunk) => {
      expect(chunk.finished, `chunk ${chunk.index} assembled before its calls finished`).toBe(2);
      assembled++;
      mostWaiting = Math.max(mostWaiting, assembled - written.length);
      return tableFromArrays({ index: Int32Array.of(chunk.index) });
    };
    const output = new OrderedOutput<Chunk>(writer, toBatch, 3);
    const CHUNKS = 30;
    for (let index = 0; index < CHUNKS; index++) {
      const chunk: Chunk = { index, remaining: 0, finished: 0 };
      output.add(chunk);
      // model calls that finish at once and out of order
      for (let call = 0; call < 2; call++) {
        await output.run(chunk, async () => {
          await sleep(call === 0 ? 2 : 0);
          chunk.finished++;
        });
      }
      output.flush();
    }
    await output.close();
    expect(written).toEqual(Array.from({ length: CHUNKS }, (_, i) => i));
    // the writer is the bottleneck, so the queue fills to its bound (+ the chunks whose calls were already running)
    expect(mostWaiting).toBeGreaterThanOrEqual(WRITES_BEHIND);
    expect(mostWaiting).toBeLessThanOrEqual(WRITES_BEHIND + 3);
  });
});
