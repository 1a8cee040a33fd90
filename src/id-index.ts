// id → row number for the joins by id (filter, train, verify), for any number of ids. A JS Map stops at
// 2^24 entries ("Map maximum size exceeded") and costs ~100 bytes a row; this table holds 20 bytes a slot
// in typed arrays.
//
// An id is keyed by the first 128 bits of its SHA-1 (UTF-8 bytes), so the ids themselves are never kept.
// Two distinct ids share a key with probability ~n²/2^129 (about 1e-23 for 100M ids): far below any
// hardware fault rate. A library hash (OpenSSL via node:crypto) rather than a hand-written one: its output
// is uniform whatever the ids look like (sequential numbers, shared prefixes), which both the collision
// bound and linear probing rely on, and it is native code, faster than a JS hash over long ids.
import * as crypto from 'node:crypto';

const MIN_CAPACITY = 2 ** 12;
/** Past this, one key-word array would pass 8 GiB; ~1.5e9 ids fit below it. */
const MAX_CAPACITY = 2 ** 31;
/** Linear probing stays short (~2 probes for a hit) below this load. */
const MAX_LOAD = 0.7;
/** row + 1 is stored in a uint32 and 0 marks an empty slot. */
const MAX_ROW = 2 ** 32 - 2;

/** One-shot crypto.hash where Node has it (20.12+: less per-call overhead), else createHash. */
const sha1: (id: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (id) => crypto.hash('sha1', id, 'buffer')
    : (id) => crypto.createHash('sha1').update(id).digest();

/** id → row number of the scores file, for any number of ids (JS Maps stop at 2^24 entries). */
export class IdIndex {
  // Open addressing, linear probing. One array per key word (not one array of 4 words a slot) so that each
  // stays under the typed-array length limit (2^32 elements) at the largest capacity.
  private key0 = new Uint32Array(MIN_CAPACITY);
  private key1 = new Uint32Array(MIN_CAPACITY);
  private key2 = new Uint32Array(MIN_CAPACITY);
  private key3 = new Uint32Array(MIN_CAPACITY);
  /** row + 1; 0 = empty slot */
  private rowsPlusOne = new Uint32Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private maxCount = Math.floor(MIN_CAPACITY * MAX_LOAD);
  private count = 0;

  /** ids stored */
  get size(): number {
    return this.count;
  }

  /** bytes held by the table (typed arrays) */
  get bytes(): number {
    return (
      this.key0.byteLength + this.key1.byteLength + this.key2.byteLength + this.key3.byteLength + this.rowsPlusOne.byteLength
    );
  }

  /** Stores id → row (0 <= row < 2^32 - 1). Returns the row already stored under this id (a duplicate id: nothing is changed), or -1 when the id is new. */
  add(id: string, row: number): number {
    if (!Number.isInteger(row) || row < 0 || row > MAX_ROW) {
      throw new RangeError(`IdIndex: row ${row} is not an integer in [0, ${MAX_ROW}]`);
    }
    const digest = sha1(id);
    const w0 = digest.readUInt32LE(0);
    const w1 = digest.readUInt32LE(4);
    const w2 = digest.readUInt32LE(8);
    const w3 = digest.readUInt32LE(12);
    let slot = this.findSlot(w0, w1, w2, w3);
    const stored = this.rowsPlusOne[slot];
    if (stored !== 0) return stored - 1;
    // Grow only for a new id, so duplicates never resize the table.
    if (this.count >= this.maxCount) {
      this.grow();
      slot = this.findSlot(w0, w1, w2, w3);
    }
    this.key0[slot] = w0;
    this.key1[slot] = w1;
    this.key2[slot] = w2;
    this.key3[slot] = w3;
    this.rowsPlusOne[slot] = row + 1;
    this.count++;
    return -1;
  }

  /** The row stored for id, or -1. */
  get(id: string): number {
    const digest = sha1(id);
    const slot = this.findSlot(digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12));
    return this.rowsPlusOne[slot] - 1;
  }

  /** The slot holding this key, else the empty slot where it belongs (one exists: load < 1). */
  private findSlot(w0: number, w1: number, w2: number, w3: number): number {
    const { key0, key1, key2, key3, rowsPlusOne, mask } = this;
    let slot = w0 & mask; // the key is uniform, so its low bits spread slots evenly
    while (
      rowsPlusOne[slot] !== 0 &&
      !(key0[slot] === w0 && key1[slot] === w1 && key2[slot] === w2 && key3[slot] === w3)
    ) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  /** Doubles the capacity, re-inserting the stored keys (the ids are not needed again). */
  private grow(): void {
    const capacity = this.rowsPlusOne.length * 2;
    if (capacity > MAX_CAPACITY) {
      throw new Error(`IdIndex: cannot hold more than ${this.maxCount} ids (the table would need over 2^31 slots)`);
    }
    const { key0, key1, key2, key3, rowsPlusOne } = this;
    const newKey0 = new Uint32Array(capacity);
    const newKey1 = new Uint32Array(capacity);
    const newKey2 = new Uint32Array(capacity);
    const newKey3 = new Uint32Array(capacity);
    const newRowsPlusOne = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < rowsPlusOne.length; i++) {
      if (rowsPlusOne[i] === 0) continue;
      // Keys are distinct, so only an empty slot is looked for.
      let slot = key0[i] & mask;
      while (newRowsPlusOne[slot] !== 0) slot = (slot + 1) & mask;
      newKey0[slot] = key0[i];
      newKey1[slot] = key1[i];
      newKey2[slot] = key2[i];
      newKey3[slot] = key3[i];
      newRowsPlusOne[slot] = rowsPlusOne[i];
    }
    this.key0 = newKey0;
    this.key1 = newKey1;
    this.key2 = newKey2;
    this.key3 = newKey3;
    this.rowsPlusOne = newRowsPlusOne;
    this.mask = mask;
    this.maxCount = Math.floor(capacity * MAX_LOAD);
  }
}
