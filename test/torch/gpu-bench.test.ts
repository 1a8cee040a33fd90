// scripts/gpu-bench.sh must work before any GPU is lent: its CPU mode (GPU_BENCH_TINY=1, tiny models,
// plain-torch naive loops) runs every step and prints the one JSON line the GPU run will print.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PYTHON, ROOT } from './helpers.js';

describe('scripts/gpu-bench.sh (GPU_BENCH_TINY=1)', () => {
  it('runs score, one-pass and greedy audit and both naive loops, printing one JSON line', () => {
    const result = spawnSync(join(ROOT, 'scripts', 'gpu-bench.sh'), {
      cwd: ROOT,
      env: {
        ...process.env,
        GPU_BENCH_TINY: '1',
        GPU_BENCH_SCORE_ROWS: '16',
        GPU_BENCH_AUDIT_ROWS: '16',
        GPU_BENCH_GENERATE_ROWS: '4',
        MEMSIEVE_PYTHON: PYTHON,
        MEMSIEVE: `${process.execPath} --import tsx src/cli/main.ts`,
      },
      encoding: 'utf8',
      timeout: 900_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out).toMatchObject({ bench: 'gpu-bench', mode: 'tiny-cpu', device: 'cpu', transformers: null, row_tokens: 256 });
    expect(out.naive).toMatch(/plain torch/);
    expect(out.score.rows).toBe(16);
    expect(out.audit).toMatchObject({ memsieve_one_pass_rows: 16, memsieve_greedy_rows: 4, naive_generate_rows: 4 });
    for (const rate of [
      out.score.memsieve_tokens_per_s, out.score.naive_tokens_per_s,
      out.audit.memsieve_one_pass_prefixes_per_s, out.audit.memsieve_greedy_prefixes_per_s, out.audit.naive_generate_prefixes_per_s,
    ]) expect(rate).toBeGreaterThan(0);
  }, 900_000); // three CLI runs, each starting a Python worker: minutes on a loaded 2-core machine
});
