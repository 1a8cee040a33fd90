#!/usr/bin/env bash
# npm run test:slurm: installs Slurm and munge from Debian when missing, then runs the pipeline tests,
# whose Slurm part starts a real single-node cluster (needs root: daemons, /etc/slurm, /run/munge).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  echo "npm run test:slurm: run as root; the test starts munged, slurmctld and slurmd and writes /etc/slurm" >&2
  exit 2
fi
if ! command -v sbatch >/dev/null || [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/slurmd ] || [ ! -x /usr/sbin/munged ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
MEMSIEVE_REQUIRE_SLURM=1 exec npx vitest run test/pipeline/ "$@"
