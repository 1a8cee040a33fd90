import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { openTemps, sweepTemps, type TempAdopter, tempPathFor } from './litter.js';

export { tempPathFor };

/**
 * A file written under a temporary name in the destination folder and renamed into place on
 * `publish()`, so readers (and resumed runs) never see a half-written output at `path`.
 */
export interface AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  readonly handle: FileHandle;
  /** bytes in the temp file (where the next write goes) */
  readonly size: number;
  /** what the adopter of a dead run's temp file returned (resume), else undefined */
  readonly adopted: unknown;
  write(data: Uint8Array | string): Promise<void>;
  /** close the temp file but leave it on disk (a checkpoint a rerun continues) */
  keep(): Promise<void>;
  /** fsync, close, rename over `path`. */
  publish(): Promise<void>;
  /** close and remove the temporary file (and its checkpoint files); safe to call twice or after publish. */
  discard(): Promise<void>;
}

export interface AtomicFileOptions {
  /** may take over a dead run's temp file of the same output (resume); see litter.ts */
  adopt?: TempAdopter;
  /** where notes about other runs' temp files go (default: stderr) */
  note?: (message: string) => void;
}

/** Fails with a UserError naming the path when the output's folder is missing, or the output itself is a folder. */
export async function checkOutputFolder(path: string): Promise<void> {
  const folder = dirname(resolve(path));
  let isDirectory = false;
  try {
    isDirectory = (await stat(folder)).isDirectory();
  } catch {
    throw new UserError(`${path}: output folder ${folder} does not exist; create it first`);
  }
  if (!isDirectory) throw new UserError(`${path}: ${folder} is not a folder`);
  const existing = await stat(path).catch(() => null);
  if (existing?.isDirectory()) throw new UserError(`${path}: is a folder; give a file name for the output`);
}

export async function createAtomicFile(path: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
  await checkOutputFolder(path);
  const tempPath = tempPathFor(path, randomBytes(4).toString('hex'));
  // what killed runs left for this output goes first (or is taken over to resume)
  const { adopted } = await sweepTemps(path, tempPath, options);
  const handle = await open(tempPath, adopted === undefined ? 'wx' : 'r+');
  openTemps.add(tempPath);
  let position = adopted === undefined ? 0 : (await handle.stat()).size;
  let state: 'open' | 'published' | 'discarded' = 'open';
  return {
    path,
    tempPath,
    handle,
    adopted,
    get size() {
      return position;
    },
    async write(data) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let offset = 0;
      // positional writes: an adopted file continues at its end
      while (offset < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset, position);
        offset += bytesWritten;
        position += bytesWritten;
      }
    },
    async keep() {
      if (state !== 'open') return;
      state = 'discarded';
      await handle.close().catch(() => undefined);
      openTemps.delete(tempPath);
    },
    async publish() {
      if (state !== 'open') throw new Error(`${path}: already ${state}`);
      await handle.sync();
      await handle.close();
      await rename(tempPath, path);
      state = 'published';
      openTemps.delete(tempPath);
      await syncFolder(path);
    },
    async discard() {
      if (state !== 'open') return;
      state = 'discarded';
      await handle.close().catch(() => undefined);
      await rm(tempPath, { force: true });
      openTemps.delete(tempPath);
    },
  };
}

/** Make the rename itself durable (best effort: not every platform lets a folder be fsynced). */
async function syncFolder(path: string): Promise<void> {
  try {
    const folder = await open(dirname(resolve(path)), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {
    // folders cannot be opened for sync on some filesystems; the rename is still atomic
  }
}

/** Write a whole small file atomically (JSON reports, markers, manifests). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const file = await createAtomicFile(path);
  try {
    await file.write(data);
    await file.publish();
  } catch (error) {
    await file.discard();
    throw error;
  }
}
