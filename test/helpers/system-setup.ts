// vitest global setup: probe the Debian packages once, say loudly what is skipped, or refuse (CI, test:all).
import type { TestProject } from 'vitest/node';
import { probeMissing } from './system.js';

export default function setup(project: TestProject): void {
  const missing = probeMissing();
  if (missing.length > 0) {
    const install = `apt-get install -y ${missing.join(' ')}`;
    if (process.env.MEMSIEVE_REQUIRE_SYSTEM === '1') {
      throw new Error(`MEMSIEVE_REQUIRE_SYSTEM=1 and ${missing.join(', ')} missing: run \`npm run setup:test\` (or ${install})`);
    }
    process.stderr.write(
      `\n*** memsieve tests: SKIPPING the tests that need ${missing.join(', ')} (not installed). Install: \`${install}\`, or all of them: \`npm run setup:test\`; \`npm run test:all\` (as CI) refuses to skip. ***\n\n`,
    );
  }
  project.provide('missingSystemPackages', missing);
}
