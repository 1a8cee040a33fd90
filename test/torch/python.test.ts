// The Python package's own tests (losses, data, greedy, features, distill, worker) under Debian's torch.
// Skips without python3-torch or python3-pytest (npm test); CI and test:all refuse to skip. Hugging Face tests skip with a printed reason.
import { describe, expect, it } from 'vitest';
import { runPython } from './helpers.js';
import { lacks } from '../helpers/system.js';

describe.skipIf(lacks('python3-torch') || lacks('python3-pytest'))('pipelines/torch Python tests', () => {
  it('pass under /usr/bin/python3 with torch', () => {
    const r = runPython(['-m', 'pytest', 'pipelines/torch/tests', '-q', '-rs', '-p', 'no:cacheprovider']);
    const output = `${r.stdout}\n${r.stderr}`;
    const summary = output.trim().split('\n').reverse().find((line) => /\d+ (passed|failed)/.test(line)) ?? '';
    console.log(`pipelines/torch pytest: ${summary}`);
    for (const line of output.split('\n').filter((l) => l.startsWith('SKIPPED'))) console.log(line);
    expect(r.status, output.slice(-6000)).toBe(0);
    const passed = Number(/(\d+) passed/.exec(summary)?.[1] ?? 0);
    expect(summary).not.toMatch(/failed|error/);
    expect(passed).toBeGreaterThanOrEqual(23);
  }, 900_000);
});
