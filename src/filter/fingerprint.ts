// Row fingerprints that let `verify` prove D_clean ⊎ removed = input without holding any of them in memory.
// Each row is encoded canonically (memsieve-row/v1, below) and hashed with SHA-256; a set of rows is
// fingerprinted by the SUM of its row digests mod 2^256 (digests read as big-endian integers). A sum, not
// a xor: xor cancels a row that appears twice, a sum counts it. Sums add, so clean + removed = input.
import * as crypto from 'node:crypto';
import { Type, type Vector } from 'apache-arrow';
import type { Batch } from '../io/types.js';

export const ROW_ENCODING = 'memsieve-row/v1';
export const FINGERPRINT_ALGORITHM = 'sum-sha256-mod-2^256';

// Value tags of the row encoding. Integers are one kind whatever their width (int32, int64, a float
// holding an integer), so a row keeps its fingerprint when a format widens or narrows an integer column.
const TAG_NULL = 0;
const TAG_FALSE = 1;
const TAG_TRUE = 2;
const TAG_INTEGER = 3;
const TAG_FLOAT = 4;
const TAG_STRING = 5;
const TAG_BYTES = 6;
const TAG_LIST = 7;
const TAG_STRUCT = 8;

/** Growable byte buffer the row encoder writes into; reused across rows. */
class ByteSink {
  buffer = Buffer.allocUnsafe(4096);
  length = 0;

  reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  u32(n: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(n, this.length);
    this.length += 4;
  }

  f64(x: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(x, this.length);
    this.length += 8;
  }

  /** length-prefixed UTF-8 */
  text(s: string): void {
    const max = Buffer.byteLength(s, 'utf8');
    this.reserve(4 + max);
    const written = this.buffer.write(s, this.length + 4, 'utf8');
    this.buffer.writeUInt32LE(written, this.length);
    this.length += 4 + written;
  }

  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.reserve(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
  }
}

/**
 * Appends the canonical encoding of one value: a tag byte, then
 * integer: length-prefixed decimal text; float: IEEE-754 float64 little-endian (NaN as 0x7ff8000000000000);
 * string: length-prefixed UTF-8; bytes: length-prefixed; list: u32 count then each item; struct: u32 count
 * then (length-prefixed field name, value) pairs in field order; null: the tag alone. Lengths are u32 LE.
 */
function encodeValue(sink: ByteSink, value: unknown): void {
  if (value === null || value === undefined) {
    sink.byte(TAG_NULL);
  } else if (typeof value === 'boolean') {
    sink.byte(value ? TAG_TRUE : TAG_FALSE);
  } else if (typeof value === 'bigint') {
    sink.byte(TAG_INTEGER);
    sink.text(value.toString());
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) {
      sink.byte(TAG_INTEGER);
      sink.text(String(value === 0 ? 0 : value));
    } else {
      sink.byte(TAG_FLOAT);
      sink.f64(Number.isNaN(value) ? NaN : value);
    }
  } else if (typeof value === 'string') {
    sink.byte(TAG_STRING);
    sink.text(value);
  } else if (value instanceof Uint8Array) {
    sink.byte(TAG_BYTES);
    sink.bytes(value);
  } else if (value instanceof Date) {
    sink.byte(TAG_INTEGER);
    sink.text(String(value.getTime()));
  } else if (Array.isArray(value) || ArrayBuffer.isView(value) || isVectorLike(value)) {
    const items = Array.from(value as Iterable<unknown>);
    sink.byte(TAG_LIST);
    sink.u32(items.length);
    for (const item of items) encodeValue(sink, item);
  } else if (typeof value === 'object') {
    // Arrow StructRow / MapRow expose their fields through toJSON(); plain objects are used as they are
    const plain = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
    const entries = plain instanceof Map ? [...plain.entries()] : Object.entries(plain as object);
    sink.byte(TAG_STRUCT);
    sink.u32(entries.length);
    for (const [key, item] of entries) {
      sink.text(String(key));
      encodeValue(sink, item);
    }
  } else {
    throw new Error(`cannot fingerprint a value of type ${typeof value}`);
  }
}

function isVectorLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { toArray?: unknown }).toArray === 'function' && Symbol.iterator in value;
}

/** Sum of 256-bit digests mod 2^256, kept as eight 32-bit big-endian words. */
export class MultisetHash {
  private readonly words = new Uint32Array(8);

  /** adds a 32-byte digest (big-endian integer) */
  add(digest: Uint8Array): void {
    let carry = 0;
    for (let k = 7; k >= 0; k--) {
      const o = 4 * k;
      const d = ((digest[o] << 24) | (digest[o + 1] << 16) | (digest[o + 2] << 8) | digest[o + 3]) >>> 0;
      const s = this.words[k] + d + carry;
      this.words[k] = s >>> 0;
      carry = s > 0xffffffff ? 1 : 0;
    }
  }

  addHex(hex: string): void {
    this.add(Buffer.from(hex, 'hex'));
  }

  /** 64 lowercase hex digits */
  hex(): string {
    return Array.from(this.words, (w) => w.toString(16).padStart(8, '0')).join('');
  }
}

/** Fingerprint of the union of two row multisets (the sum of their fingerprints mod 2^256). */
export function addFingerprints(a: string, b: string): string {
  const sum = new MultisetHash();
  sum.addHex(a);
  sum.addHex(b);
  return sum.hex();
}

/** Computes per-row SHA-256 digests of the named columns of batches. */
export class RowHasher {
  private readonly sink = new ByteSink();

  constructor(readonly columns: readonly string[]) {}

  /** the 32-byte SHA-256 of each row's canonical encoding; throws if the batch lacks a fingerprinted column */
  digests(batch: Batch, source: string): Buffer[] {
    const out: Buffer[] = new Array(batch.numRows);
    const sink = this.sink;
    let row = 0;
    for (const recordBatch of batch.batches) {
      const encoders = this.columns.map((name) => {
        const vector = recordBatch.getChild(name);
        if (!vector) throw new MissingColumnError(source, name);
        return columnEncoder(vector);
      });
      for (let i = 0; i < recordBatch.numRows; i++) {
        sink.length = 0;
        for (const encode of encoders) encode(sink, i);
        out[row++] = sha256(sink.buffer.subarray(0, sink.length));
      }
    }
    return out;
  }
}

type ColumnEncoder = (sink: ByteSink, i: number) => void;

/**
 * Strings and binaries are copied from Arrow's buffers as they are (the encoding is their UTF-8 bytes),
 * skipping a decode to JS strings and a re-encode that cost half the hashing time; other types go
 * through the generic value encoder.
 */
function columnEncoder(vector: Vector): ColumnEncoder {
  const data = vector.data.length === 1 ? vector.data[0] : null;
  if (data && (data.typeId === Type.Utf8 || data.typeId === Type.Binary)) {
    const tag = data.typeId === Type.Utf8 ? TAG_STRING : TAG_BYTES;
    const offsets = data.valueOffsets as Int32Array;
    const values = data.values as Uint8Array;
    const nullable = data.nullCount !== 0;
    return (sink, i) => {
      if (nullable && !data.getValid(i)) return sink.byte(TAG_NULL);
      sink.byte(tag);
      sink.bytes(values.subarray(offsets[i], offsets[i + 1]));
    };
  }
  return (sink, i) => encodeValue(sink, vector.get(i));
}

/** One-shot crypto.hash where Node has it (20.12+: less per-call overhead), else createHash. */
const sha256: (data: Uint8Array) => Buffer =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => (crypto as unknown as { hash(a: string, d: Uint8Array, e: 'buffer'): Buffer }).hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();

export class MissingColumnError extends Error {
  constructor(
    readonly source: string,
    readonly column: string,
  ) {
    super(`${source} has no column "${column}"`);
  }
}

/** SHA-256 of the canonical encoding of one row given as values in column order (for tests and tools). */
export function rowDigest(values: readonly unknown[]): string {
  const sink = new ByteSink();
  for (const value of values) encodeValue(sink, value);
  return sha256(sink.buffer.subarray(0, sink.length)).toString('hex');
}
