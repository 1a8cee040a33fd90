import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // model-heavy suites contend for 2 cores; keep file parallelism modest
    maxWorkers: 2,
  },
});
