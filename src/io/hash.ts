import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../errors.js';
import { expandInputs } from './format.js';

/**
 * Hex SHA-256 of a file, streamed (manifests and provenance of inputs, models and outputs). A folder
 * (a corpus or scores given as a folder of data files, docs/io.md) hashes the names and hashes of the
 * data files it stands for, in reading order: the same files give the same hash wherever the folder is.
 */
export async function sha256File(path: string): Promise<string> {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    const hash = createHash('sha256').update('memsieve folder of data files\n');
    for (const file of expandInputs(path)) hash.update(`${basename(file)} ${await sha256OfFile(file)}\n`);
    return hash.digest('hex');
  }
  return sha256OfFile(path);
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${path}: no such file`);
    throw error;
  }
  return hash.digest('hex');
}
