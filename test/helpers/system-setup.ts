// vitest global setup: probe the Debian packages once, say loudly what is skipped, or refuse (CI, test:all).
import type { TestProject } from 'vitest/node';
import { slurmMissingPackages, slurmUnavailable } from '../pipeline/slurm-cluster.js';
import { probeMissing } from './system.js';

export default function setup(project: TestProject): void {
  const missing = probeMissing();
  if (missing.length > 0 && process.env.MEMSIEVE_REQUIRE_SYSTEM === '1') {
    throw new Error(`MEMSIEVE_REQUIRE_SYSTEM=1 and ${missing.join(', ')} missing: run \`npm run setup:test\` (or apt-get install -y ${missing.join(' ')})`);
  }
  // the Slurm test probes for itself (test/pipeline/pipeline.test.ts) and fails instead under MEMSIEVE_REQUIRE_SLURM=1;
  // it is named here so that one line says everything skipped
  const noSlurm = process.env.MEMSIEVE_REQUIRE_SLURM === '1' ? null : slurmUnavailable();
  const packages = [...missing, ...(noSlurm ? slurmMissingPackages() : [])];
  // not root or not Linux: no package brings it
  const slurmOtherwise = noSlurm && slurmMissingPackages().length === 0 ? `the Slurm test: ${noSlurm}` : null;
  if (packages.length > 0 || slurmOtherwise) {
    const skipped = [...(packages.length > 0 ? [`the tests that need ${packages.join(', ')} (not installed)`] : []), ...(slurmOtherwise ? [slurmOtherwise] : [])];
    const install = packages.length > 0 ? `Install: \`apt-get install -y ${packages.join(' ')}\`, or all of them: \`npm run setup:test\`; ` : '';
    process.stderr.write(`\n*** memsieve tests: SKIPPING ${skipped.join(' and ')}. ${install}\`npm run test:all\` (as CI) refuses to skip. ***\n\n`);
  }
  project.provide('missingSystemPackages', missing);
}
