// What a stage's checkpoint must match to be continued: the arguments that shape its output and the
// identity of every file it reads (as distill's resume: name, size, modification time; hashing a
// 100 GB corpus on every start would cost more than it saves).
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expandInputs } from '../io/format.js';

/** Options that change neither the rows nor their values (tokenizer threads: the same ids, in the same order; the checkpoint interval: where row groups close). */
const NEUTRAL = new Set(['quiet', 'output', 'tokenizerThreads', 'checkpointSeconds']);

/** The fingerprint of a stage run, or undefined when it reads stdin (which cannot be read again to resume). */
export function stageFingerprint(kind: string, options: object & { input: string | string[] }): string | undefined {
  const paths = expandInputs(options.input, undefined, { option: '--input' });
  if (paths.includes('-')) return undefined;
  const args = Object.entries(options)
    .filter(([key, value]) => !NEUTRAL.has(key) && value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  // model files, tokenizers and the corpus: any option naming an existing path
  const files: Record<string, unknown> = {};
  for (const [key, value] of args) {
    if (key === 'input') continue;
    for (const path of typeof value === 'string' ? [value] : []) {
      const identity = pathIdentity(path);
      if (identity) files[`${key}:${path}`] = identity;
    }
  }
  const inputs = paths.map((path) => [resolve(path), fileIdentity(path)]);
  const identity = { kind, args, files, inputs };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

function fileIdentity(path: string): [number, number] {
  const s = statSync(path);
  return [s.size, s.mtimeMs];
}

/** A file's size and time; a folder's (an HF checkpoint) for each file directly inside it. */
function pathIdentity(path: string): unknown {
  let s;
  try {
    s = statSync(path);
  } catch {
    return undefined;
  }
  if (s.isFile()) return [s.size, s.mtimeMs];
  if (!s.isDirectory()) return undefined;
  return readdirSync(path)
    .sort()
    .flatMap((name) => {
      const inner = statSync(join(path, name), { throwIfNoEntry: false });
      return inner?.isFile() ? [[name, inner.size, inner.mtimeMs]] : [];
    });
}
