import { deflateSync } from 'node:zlib';

/** Compressed size of the UTF-8 text at zlib's default level (6), the paper's zlib feature. */
export function zlibBytes(text: string): number {
  return deflateSync(Buffer.from(text, 'utf8')).length;
}

/** Bits of compressed text per token: 8·zlib_bytes / n_tokens. */
export function zlibEntropy(zlibByteCount: number, nTokens: number): number {
  return (8 * zlibByteCount) / nTokens;
}
