// The N smallest keys of a stream in O(N) memory: a max-heap of the N smallest so far, whose root is
// the one to evict when a smaller key arrives. Its root at the end is the N-th smallest key.
import { compareKeys, type SampleKey } from './key.js';

export class SmallestKeys {
  private readonly heap: SampleKey[] = [];

  constructor(readonly capacity: number) {}

  add(key: SampleKey): void {
    const heap = this.heap;
    if (heap.length < this.capacity) {
      heap.push(key);
      this.siftUp(heap.length - 1);
    } else if (compareKeys(key, heap[0]) < 0) {
      heap[0] = key;
      this.siftDown(0);
    }
  }

  get size(): number {
    return this.heap.length;
  }

  /** The largest kept key: every row with a key <= it is in the sample; undefined when nothing was added. */
  largest(): SampleKey | undefined {
    return this.heap[0];
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareKeys(heap[i], heap[parent]) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let top = i;
      if (left < heap.length && compareKeys(heap[left], heap[top]) > 0) top = left;
      if (right < heap.length && compareKeys(heap[right], heap[top]) > 0) top = right;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  }
}
