import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { UserError } from '../errors.js';

/** Hex SHA-256 of a file, streamed (manifests and provenance of inputs, models and outputs). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${path}: no such file`);
    throw error;
  }
  return hash.digest('hex');
}
