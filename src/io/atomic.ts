import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';

/**
 * A file written under a temporary name in the destination folder and renamed into place on
 * `publish()`, so readers (and resumed runs) never see a half-written output at `path`.
 */
export interface AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  readonly handle: FileHandle;
  write(data: Uint8Array | string): Promise<void>;
  /** fsync, close, rename over `path`. */
  publish(): Promise<void>;
  /** close and remove the temporary file; safe to call twice or after publish. */
  discard(): Promise<void>;
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

export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export async function createAtomicFile(path: string): Promise<AtomicFile> {
  await checkOutputFolder(path);
  const tempPath = tempPathFor(path);
  const handle = await open(tempPath, 'wx');
  let state: 'open' | 'published' | 'discarded' = 'open';
  return {
    path,
    tempPath,
    handle,
    async write(data) {
      if (typeof data === 'string') await handle.writeFile(data, 'utf8');
      else {
        let offset = 0;
        while (offset < data.byteLength) {
          const { bytesWritten } = await handle.write(data, offset, data.byteLength - offset);
          offset += bytesWritten;
        }
      }
    },
    async publish() {
      if (state !== 'open') throw new Error(`${path}: already ${state}`);
      await handle.sync();
      await handle.close();
      await rename(tempPath, path);
      state = 'published';
      await syncFolder(path);
    },
    async discard() {
      if (state !== 'open') return;
      state = 'discarded';
      await handle.close().catch(() => undefined);
      await rm(tempPath, { force: true });
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
