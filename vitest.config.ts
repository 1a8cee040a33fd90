import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // probes the Debian packages some tests need: skip loudly, or fail under MEMSIEVE_REQUIRE_SYSTEM=1
    globalSetup: ['test/helpers/system-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // model-heavy suites contend for 2 cores; keep file parallelism modest
    maxWorkers: 2,
  },
});
