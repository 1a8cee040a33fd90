// Python side of the torch tests: Debian's /usr/bin/python3 (or MEMSIEVE_PYTHON) with pipelines/torch on the path.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON } from '../helpers/system.js';

export { PYTHON };

export const ROOT = join(import.meta.dirname, '..', '..');

export function runPython(args: string[], timeoutMs = 600_000) {
  const result = spawnSync(PYTHON, args, {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: join(ROOT, 'pipelines', 'torch') },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A random tiny checkpoint folder (and its ONNX logits graph when `onnx` is given; `tie`: two tokens tied on top everywhere). */
export function makeTiny(out: string, options: { vocab?: number; layers?: number; seed?: number; onnx?: string; tie?: [number, number] } = {}): void {
  const args = ['-m', 'memsieve_torch.tiny', '--out', out, '--vocab', String(options.vocab ?? 2048), '--layers', String(options.layers ?? 1), '--seed', String(options.seed ?? 0)];
  if (options.onnx) args.push('--onnx', options.onnx);
  if (options.tie) args.push('--tie', options.tie.join(','));
  const r = runPython(args);
  if (r.status !== 0) throw new Error(`making a tiny checkpoint failed:\n${r.stderr}`);
}

/** Rows of a token file, parsed here by hand from its documented layout (docs/torch.md). */
export function readTokenFile(path: string): Int32Array[] {
  const bytes = readFileSync(path);
  const nl = bytes.indexOf(10);
  const header = JSON.parse(bytes.subarray(0, nl).toString('utf8'));
  const rows = header.rows as number;
  const copy = (start: number, length: number) => bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + length);
  const offsets = new BigInt64Array(copy(nl + 1, 8 * (rows + 1)));
  const ids = new Int32Array(copy(nl + 1 + 8 * (rows + 1), 4 * Number(offsets[rows])));
  return Array.from({ length: rows }, (_, i) => ids.slice(Number(offsets[i]), Number(offsets[i + 1])));
}

/**
 * A fresh venv seeing the system's packages (Debian's torch) with pipelines/torch pip-installed into it, as
 * docs/torch.md says (no PyPI: --no-build-isolation --no-deps --no-index). Installs from a copy so that the
 * build leaves nothing in the checkout; `version` rewrites the copy's __version__ (a mismatched package).
 * Returns the venv's python.
 */
export function installPackageVenv(dir: string, options: { version?: string } = {}): string {
  const source = join(dir, 'memsieve-torch-src');
  cpSync(join(ROOT, 'pipelines', 'torch'), source, { recursive: true, filter: (path) => !/\/(tests|build|__pycache__|[^/]*\.egg-info)$/.test(path) });
  if (options.version) {
    const init = join(source, 'memsieve_torch', '__init__.py');
    writeFileSync(init, readFileSync(init, 'utf8').replace(/__version__ = "[^"]*"/, `__version__ = "${options.version}"`));
  }
  const venv = join(dir, 'venv');
  const run = (exe: string, args: string[]) => {
    const r = spawnSync(exe, args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
    if (r.status !== 0) throw new Error(`${exe} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  };
  run(PYTHON, ['-m', 'venv', '--system-site-packages', venv]);
  const python = join(venv, 'bin', 'python');
  run(python, ['-m', 'pip', 'install', '--quiet', '--no-build-isolation', '--no-deps', '--no-index', source]);
  return python;
}
