// The Python package's own tests (losses, data, greedy, features, distill, worker) under Debian's torch, run
// against memsieve-torch pip-installed into a fresh venv (docs/torch.md), not against the checkout's folder.
// Skips without python3-torch or python3-pytest (npm test); CI and test:all refuse to skip. Hugging Face tests skip with a printed reason.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installPackageVenv, ROOT } from './helpers.js';
import { lacks } from '../helpers/system.js';
import { tempDir } from '../helpers/kit.js';

describe.skipIf(lacks('python3-torch') || lacks('python3-pytest'))('pipelines/torch Python tests', () => {
  it('pass under Debian\'s torch, against the pip-installed package', () => {
    const dir = tempDir('memsieve-pytest-');
    const python = installPackageVenv(dir);
    const env = { ...process.env };
    delete env.PYTHONPATH;
    const r = spawnSync(python, ['-m', 'pytest', 'pipelines/torch/tests', '-q', '-rs', '-p', 'no:cacheprovider'], {
      cwd: ROOT, env, encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    const summary = output.trim().split('\n').reverse().find((line) => /\d+ (passed|failed)/.test(line)) ?? '';
    console.log(`pipelines/torch pytest: ${summary}`);
    for (const line of output.split('\n').filter((l) => l.startsWith('SKIPPED'))) console.log(line);
    expect(r.status, output.slice(-6000)).toBe(0);
    // conftest prints which memsieve_torch the tests imported: the venv's
    expect(output).toMatch(new RegExp(`memsieve_torch from ${join(dir, 'venv')}/lib/python3\\.\\d+/site-packages/memsieve_torch\\n`));
    const passed = Number(/(\d+) passed/.exec(summary)?.[1] ?? 0);
    expect(summary).not.toMatch(/failed|error/);
    expect(passed).toBeGreaterThanOrEqual(23);
  }, 900_000);
});
