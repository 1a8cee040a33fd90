// Debian packages some tests need. `npm test` skips those tests when a package is missing (one line at the
// start names them and the install command); `npm run test:all` and CI (MEMSIEVE_REQUIRE_SYSTEM=1) refuse.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { inject } from 'vitest';

export type SystemPackage =
  | 'python3' | 'python3-torch' | 'python3-numpy' | 'python3-sklearn' | 'python3-pytest' | 'python3-venv' | 'python3-wheel' | 'chromium' | 'zstd' | 'gzip';

/** The interpreter the torch and scikit-learn tests run (memsieve's own default too). */
export const PYTHON = process.env.MEMSIEVE_PYTHON ?? '/usr/bin/python3';
/** Debian's chromium, or MEMSIEVE_CHROMIUM. */
export const CHROMIUM = process.env.MEMSIEVE_CHROMIUM ?? '/usr/bin/chromium';

const PYTHON_MODULES: Partial<Record<SystemPackage, string>> = {
  'python3-torch': 'torch',
  'python3-numpy': 'numpy',
  'python3-sklearn': 'sklearn',
  'python3-pytest': 'pytest',
  // installing memsieve-torch into a fresh venv (test/torch/package.test.ts): Debian's ensurepip comes with
  // python3-venv, and pip builds the wheel with python3-wheel
  'python3-venv': 'ensurepip',
  'python3-wheel': 'wheel',
};

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** The packages of the list that this machine lacks (probed once, by the global setup). */
export function probeMissing(): SystemPackage[] {
  const modules = Object.values(PYTHON_MODULES);
  // find_spec: whether the module is importable, without paying for importing torch
  const probe = spawnSync(PYTHON, ['-c', `import importlib.util, json; print(json.dumps([m for m in ${JSON.stringify(modules)} if importlib.util.find_spec(m) is None]))`], {
    encoding: 'utf8',
  });
  const absentModules: string[] = probe.status === 0 ? JSON.parse(probe.stdout) : modules;
  const missing: SystemPackage[] = probe.error ? ['python3'] : [];
  missing.push(...(Object.entries(PYTHON_MODULES) as Array<[SystemPackage, string]>).filter(([, m]) => absentModules.includes(m)).map(([p]) => p));
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  for (const tool of ['zstd', 'gzip'] as const) if (!onPath(tool)) missing.push(tool);
  return missing;
}

/** True when `pkg` is missing and skipping is allowed: use as `describe.skipIf(lacks('chromium'))`. */
export function lacks(pkg: SystemPackage): boolean {
  return inject('missingSystemPackages').includes(pkg);
}

declare module 'vitest' {
  export interface ProvidedContext {
    missingSystemPackages: SystemPackage[];
  }
}
