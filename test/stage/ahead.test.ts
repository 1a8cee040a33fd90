// readAhead: in order, bounded, errors in turn, and an early stop stops the reading.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/stage/ahead.js';

/** A source of 0..n-1 that records how many items were read and whether it was closed. */
function counted(n: number, failAt = -1) {
  const state = { read: 0, closed: false };
  async function* source() {
    try {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error(`bad item ${i}`);
        state.read++;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, source: source() };
}

describe('readAhead', () => {
  it('yields in source order although later work finishes first', async () => {
    const { source } = counted(12);
    const got: number[] = [];
    for await (const value of readAhead(source, async (i) => (await sleep((12 - i) * 2), i * 10), 4)) got.push(value);
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => i * 10));
  });

  it('reads ahead while the consumer is busy, never more than depth items', async () => {
    const depth = 3;
    const { state, source } = counted(20);
    let consumed = 0;
    let mostAhead = 0;
    for await (const _ of readAhead(source, async (i) => i, depth)) {
      consumed++;
      await sleep(5); // a slow consumer: the reader fills the queue meanwhile
      mostAhead = Math.max(mostAhead, state.read - consumed);
    }
    expect(consumed).toBe(20);
    expect(mostAhead).toBe(depth);
  });

  it('throws a reading failure after every item before it', async () => {
    const { source } = counted(10, 4);
    const got: number[] = [];
    await expect(async () => {
      for await (const value of readAhead(source, async (i) => i, 2)) got.push(value);
    }).rejects.toThrow('bad item 4');
    expect(got).toEqual([0, 1, 2, 3]);
  });

  it('throws a failure of the work in turn', async () => {
    const { source } = counted(10);
    const got: number[] = [];
    const work = async (i: number) => {
      if (i === 3) throw new Error('work 3 failed');
      await sleep(10 - i);
      return i;
    };
    await expect(async () => {
      for await (const value of readAhead(source, work, 5)) got.push(value);
    }).rejects.toThrow('work 3 failed');
    expect(got).toEqual([0, 1, 2]);
  });

  it('stops reading and closes the source when the consumer stops', async () => {
    const { state, source } = counted(1000);
    for await (const value of readAhead(source, async (i) => i, 2)) if (value === 5) break;
    expect(state.closed).toBe(true);
    expect(state.read).toBeLessThanOrEqual(6 + 2);
  });
});
