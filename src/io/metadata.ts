// A file's key-value metadata, the same in every format: Parquet's footer key-value metadata, Arrow's
// schema metadata, and for JSONL (which has no place for it) a sidecar `<file>.metadata.json`.
// Writers store a batch's schema metadata; readers give it back in the schema. Only memsieve's own
// keys go to a JSONL sidecar: other tools' keys (pandas) mean nothing without their format.
// A sidecar is bound to its data file by the file's size and SHA-256: one left beside a file that was
// written again since (by another run or tool, or a run killed between the two renames) is refused.
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RecordBatchReader } from 'apache-arrow';
import { parquetMetadataAsync, asyncBufferFromFile } from 'hyparquet';
import { UserError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { detectFormat } from './format.js';
import { sha256File } from './hash.js';
import type { Format, InputNaming } from './types.js';

/** Keys memsieve writes (provenance); these pass through every stage and go to JSONL sidecars. */
export const MEMSIEVE_KEY_PREFIX = 'memsieve.';

/** The sidecar's own keys binding it to the bytes of its data file (never passed on as metadata). */
const DATA_BYTES = 'memsieve.data_file.bytes';
const DATA_SHA256 = 'memsieve.data_file.sha256';

/** Where a JSONL file's metadata lives. */
export function metadataSidecarPath(path: string): string {
  return `${path}.metadata.json`;
}

/** The key-value metadata of a data file (empty when it has none, or is stdin). */
export async function readFileMetadata(path: string, format?: Format, naming?: InputNaming): Promise<Map<string, string>> {
  if (path === '-') return new Map();
  switch (detectFormat(path, format, naming)) {
    case 'parquet': {
      let metadata;
      try {
        metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
      } catch (error) {
        throw new UserError(`${path}: cannot read the Parquet footer (${(error as Error).message})`);
      }
      return new Map((metadata.key_value_metadata ?? []).filter((kv) => kv.value !== undefined).map((kv) => [kv.key, kv.value as string]));
    }
    case 'arrow': {
      const handle = await open(path, 'r').catch(() => {
        throw new UserError(`${path}: no such file`);
      });
      try {
        const reader = await RecordBatchReader.from(handle);
        await reader.open();
        return new Map(reader.schema?.metadata ?? []);
      } catch (error) {
        throw new UserError(`${path}: not an Arrow IPC file or stream (${(error as Error).message})`);
      } finally {
        await handle.close();
      }
    }
    case 'jsonl':
      return readSidecar(path);
  }
}

/** A JSONL file's memsieve metadata from its sidecar (empty when none); a sidecar of other bytes is refused. */
export async function readSidecar(path: string): Promise<Map<string, string>> {
  const sidecar = metadataSidecarPath(path);
  let text: string;
  try {
    text = await readFile(sidecar, 'utf8');
  } catch {
    return new Map();
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${sidecar}: not JSON (${(error as Error).message}); delete it or write ${path} again`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    throw new UserError(`${sidecar}: expected an object of string values; delete it or write ${path} again`);
  }
  const { [DATA_BYTES]: bytes, [DATA_SHA256]: sha256, ...metadata } = raw as Record<string, string>;
  if (bytes === undefined || sha256 === undefined) {
    throw new UserError(`${sidecar}: does not say which bytes of ${path} it describes (${DATA_SHA256} missing), so it may belong to an earlier file; delete it or write ${path} again`);
  }
  const size = (await stat(path).catch(() => null))?.size;
  if (size === undefined) throw new UserError(`${sidecar}: its data file ${path} is missing; delete the sidecar or write ${path} again`);
  if (String(size) !== bytes || (await cachedSha256(path)) !== sha256) {
    throw new UserError(`${sidecar}: describes another ${path} (sha256 ${sha256.slice(0, 12)}…, ${bytes} bytes) than the one there now (${size} bytes): the file was written again without it; delete the sidecar or write ${path} again with memsieve`);
  }
  return new Map(Object.entries(metadata));
}

// readers open a JSONL file's sidecar on each pass: its data file is hashed once per process
const hashes = new Map<string, { key: string; sha256: string }>();

async function cachedSha256(path: string): Promise<string> {
  const s = await stat(path);
  const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
  const hit = hashes.get(resolve(path));
  if (hit?.key === key) return hit.sha256;
  const sha256 = await sha256File(path);
  hashes.set(resolve(path), { key, sha256 });
  return sha256;
}

/** After a JSONL file is published: its memsieve metadata beside it, bound to its bytes, or no sidecar (a stale one would lie). */
export async function writeSidecar(path: string, metadata: Map<string, string> | null): Promise<void> {
  if (path === '-') return;
  const own = [...(metadata ?? [])].filter(([key]) => key.startsWith(MEMSIEVE_KEY_PREFIX) && key !== DATA_BYTES && key !== DATA_SHA256);
  if (own.length === 0) return rm(metadataSidecarPath(path), { force: true });
  // through the cache: a reader in this process (an in-process pipeline step) then does not hash it again
  const binding = { [DATA_BYTES]: String((await stat(path)).size), [DATA_SHA256]: await cachedSha256(path) };
  await writeFileAtomic(metadataSidecarPath(path), `${JSON.stringify({ ...Object.fromEntries(own), ...binding }, null, 1)}\n`);
}

/**
 * Move a finished data file into place with its sidecar, if it has one. The sidecar at `to` goes first and
 * the new one comes last, so a run killed in between leaves a data file without a sidecar, never a mismatched pair.
 */
export async function renameWithSidecar(from: string, to: string): Promise<void> {
  await rm(metadataSidecarPath(to), { force: true });
  await rename(from, to);
  try {
    await rename(metadataSidecarPath(from), metadataSidecarPath(to));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
