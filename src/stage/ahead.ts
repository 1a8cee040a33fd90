// Reading ahead: the next batches are read and their work (tokenization on the pool) started while the
// consumer still scores or writes earlier ones, with a bounded queue so memory follows batches, not the corpus.

/**
 * `start(item)` for each item of `source`, yielded in source order, with up to `depth` items read and
 * started before the consumer asks for them. A failure (reading, or in `start`) is thrown when the
 * consumer reaches it, after every item before it; a consumer that stops early stops the reading.
 */
export async function* readAhead<T, U>(source: AsyncIterable<T>, start: (item: T) => Promise<U>, depth: number): AsyncGenerator<U> {
  if (!(Number.isInteger(depth) && depth >= 1)) throw new Error(`read-ahead depth must be a positive integer (got ${depth})`);
  const queue: Promise<U>[] = [];
  let finished = false;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;
  const wake = (which: 'consumer' | 'reader') => {
    const resolve = which === 'consumer' ? wakeConsumer : wakeReader;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeReader = undefined;
    resolve?.();
  };
  const enqueue = (work: Promise<U>) => {
    work.catch(() => {}); // thrown to the consumer in turn; never unhandled meanwhile
    queue.push(work);
    wake('consumer');
  };
  const reader = (async () => {
    try {
      for await (const item of source) {
        enqueue(start(item));
        while (queue.length >= depth && !stopped) await new Promise<void>((resolve) => (wakeReader = resolve));
        if (stopped) break;
      }
    } catch (error) {
      enqueue(Promise.reject(error));
    } finally {
      finished = true;
      wake('consumer');
    }
  })();
  try {
    for (;;) {
      const next = queue.shift();
      if (next === undefined) {
        if (finished) return;
        await new Promise<void>((resolve) => (wakeConsumer = resolve));
        continue;
      }
      wake('reader');
      yield await next;
    }
  } finally {
    stopped = true;
    wake('reader');
    await reader;
  }
}
