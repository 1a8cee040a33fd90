// The Python package's own tests (losses, data, greedy, features, distill, worker) under Debian's torch, run
// against memsieve-torch pip-installed into a fresh venv (docs/torch.md), not against the checkout's folder;
// without python3-venv or python3-wheel (npm test on a bare machine) against the checkout, saying so.
// Skips without python3-torch or python3-pytest (npm test); CI and test:all refuse to skip. Hugging Face tests skip with a printed reason.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installPackageVenv, PYTHON, ROOT } from './helpers.js';
import { lacks } from '../helpers/system.js';
import { tempDir } from '../helpers/kit.js';

const installable = !lacks('python3-venv') && !lacks('python3-wheel');

describe.skipIf(lacks('python3-torch') || lacks('python3-pytest'))('pipelines/torch Python tests', () => {
  it(`pass under Debian's torch, against the ${installable ? 'pip-installed package' : "checkout's folder (no python3-venv/python3-wheel)"}`, () => {
    const dir = tempDir('memsieve-pytest-');
    const python = installable ? installPackageVenv(dir) : PYTHON;
    const env = { ...process.env };
    if (installable) delete env.PYTHONPATH;
    else env.PYTHONPATH = join(ROOT, 'pipelines', 'torch');
    const r = spawnSync(python, ['-m', 'pytest', 'pipelines/torch/tests', '-q', '-rs', '-p', 'no:cacheprovider'], {
      cwd: ROOT, env, encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    const summary = output.trim().split('\n').reverse().find((line) => /\d+ (passed|failed)/.test(line)) ?? '';
    console.log(`pipelines/torch pytest: ${summary}`);
    for (const line of output.split('\n').filter((l) => l.startsWith('SKIPPED'))) console.log(line);
    expect(r.status, output.slice(-6000)).toBe(0);
    // conftest prints which memsieve_torch the tests imported
    const tested = installable ? `${join(dir, 'venv')}/lib/python3\\.\\d+/site-packages/memsieve_torch` : join(ROOT, 'pipelines', 'torch', 'memsieve_torch');
    expect(output).toMatch(new RegExp(`memsieve_torch from ${tested}\\n`));
    const passed = Number(/(\d+) passed/.exec(summary)?.[1] ?? 0);
    expect(summary).not.toMatch(/failed|error/);
    expect(passed).toBeGreaterThanOrEqual(23);
  }, 900_000);
});
