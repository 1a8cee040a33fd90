// Manifest paths are relative to the report folder, so a report moved together with its data still verifies.
import { isAbsolute, relative, resolve } from 'node:path';

export function relativeTo(folder: string, path: string): string {
  const rel = relative(resolve(folder), resolve(path));
  return rel === '' ? '.' : isAbsolute(rel) ? resolve(path) : rel;
}

export function resolveFrom(folder: string, path: string): string {
  return resolve(folder, path);
}
