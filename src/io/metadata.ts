// A file's key-value metadata, the same in every format: Parquet's footer key-value metadata, Arrow's
// schema metadata, and for JSONL (which has no place for it) a sidecar `<file>.metadata.json`.
// Writers store a batch's schema metadata; readers give it back in the schema. Only memsieve's own
// keys go to a JSONL sidecar: other tools' keys (pandas) mean nothing without their format.
import { open, readFile, rename, rm } from 'node:fs/promises';
import { RecordBatchReader } from 'apache-arrow';
import { parquetMetadataAsync, asyncBufferFromFile } from 'hyparquet';
import { UserError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { detectFormat } from './format.js';
import type { Format, InputNaming } from './types.js';

/** Keys memsieve writes (provenance); these pass through every stage and go to JSONL sidecars. */
export const MEMSIEVE_KEY_PREFIX = 'memsieve.';

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

export async function readSidecar(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(metadataSidecarPath(path), 'utf8');
  } catch {
    return new Map();
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${metadataSidecarPath(path)}: not JSON (${(error as Error).message}); delete it or write ${path} again`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    throw new UserError(`${metadataSidecarPath(path)}: expected an object of string values; delete it or write ${path} again`);
  }
  return new Map(Object.entries(raw as Record<string, string>));
}

/** After a JSONL file is published: its memsieve metadata beside it, or no sidecar (a stale one would lie). */
export async function writeSidecar(path: string, metadata: Map<string, string> | null): Promise<void> {
  if (path === '-') return;
  const own = [...(metadata ?? [])].filter(([key]) => key.startsWith(MEMSIEVE_KEY_PREFIX));
  if (own.length === 0) await rm(metadataSidecarPath(path), { force: true });
  else await writeFileAtomic(metadataSidecarPath(path), `${JSON.stringify(Object.fromEntries(own), null, 1)}\n`);
}

/** Move a finished data file into place with its sidecar, if it has one (a stale sidecar at `to` goes). */
export async function renameWithSidecar(from: string, to: string): Promise<void> {
  await rename(from, to);
  try {
    await rename(metadataSidecarPath(from), metadataSidecarPath(to));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await rm(metadataSidecarPath(to), { force: true });
  }
}
