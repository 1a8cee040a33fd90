// zstd through the native zstd-napi when it is installed (it builds with node-gyp); without it, reads
// fall back to hyparquet-compressors' pure-JS decoder and writes to gzip (node:zlib), so a machine that
// could not build the addon still reads and writes Parquet.
import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { UserError } from '../errors.js';
import { compressors as jsDecompressors } from 'hyparquet-compressors';
import { warn } from '../stage/warnings.js';

type ZstdNapi = {
  compress(data: Uint8Array): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
  DecompressStream: new () => Transform;
};

let loaded: ZstdNapi | null | undefined;

function zstdNapi(): ZstdNapi | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('zstd-napi') as ZstdNapi;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** Decompressors for hyparquet: every Parquet codec; ZSTD native (~2.7x the JS decoder, docs/io.md) when available. */
export function parquetDecompressors() {
  const napi = zstdNapi();
  if (!napi) return jsDecompressors;
  const binding = createRequire(import.meta.url)('zstd-napi/binding') as { decompress(out: Uint8Array, input: Uint8Array): number };
  // straight into a buffer of the page's size: frames without a content size (DuckDB writes such)
  // would otherwise go through zstd-napi's streaming path, chunks then a concatenated copy (2x a page)
  return {
    ...jsDecompressors,
    ZSTD: (input: Uint8Array, size: number) => {
      const out = new Uint8Array(size);
      const written = binding.decompress(out, input);
      return written === size ? out : out.subarray(0, written);
    },
  };
}

/** Codec and compressor for hyparquet-writer: zstd, or gzip when zstd-napi is not installed. */
export function parquetCompression(): { codec: 'ZSTD' | 'GZIP'; compressors: Record<string, (input: Uint8Array) => Uint8Array> } {
  const napi = zstdNapi();
  if (napi) return { codec: 'ZSTD', compressors: { ZSTD: (input) => napi.compress(input) } };
  warnOnce();
  return { codec: 'GZIP', compressors: { GZIP: (input) => gzipSync(input) } };
}

let warned = false;
function warnOnce() {
  if (warned) return;
  warned = true;
  warn({ code: 'no-zstd', message: 'zstd-napi is not installed (native build failed?): writing Parquet with gzip instead of zstd' });
}

/** zstd for compressed JSONL (`.jsonl.zst`), which has no fallback: a clear error when the addon is missing. */
export function requireZstd(path: string): ZstdNapi {
  const napi = zstdNapi();
  if (!napi) throw new UserError(`${path}: reading or writing .zst needs the zstd-napi addon, which is not installed (its native build failed?); use .jsonl.gz`);
  return napi;
}

/** Whether the native zstd-napi addon loads (`memsieve doctor` reports it). */
export function nativeZstdAvailable(): boolean {
  return zstdNapi() !== null;
}
