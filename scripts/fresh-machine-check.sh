#!/usr/bin/env bash
# The README's two commands on a fresh clone, as on a machine without the Debian extras the tests use.
# They cannot be uninstalled on a shared machine, so their absence is simulated:
#   python3-torch/sklearn/pytest -> MEMSIEVE_PYTHON = a venv without system site packages
#   chromium -> MEMSIEVE_CHROMIUM=/nonexistent/chromium
#   zstd, slurm, munge -> PATH = a folder of links to every other tool on PATH (the daemons in /usr/sbin stay, so
#   the SKIPPING line names slurm-wlm, for the missing sbatch, but not munge)
# A new machine of this kind already has python3 with python3-venv, make and g++ (zstd-napi builds with
# node-gyp: its prebuilt binary is not on the npm registry), zstd and gzip.
# Expected: npm ci prints no warning and downloads no CUDA provider, the demo runs, npm test passes with
# one SKIPPING line naming the missing packages. Usage: scripts/fresh-machine-check.sh [branch] [workdir]
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
branch="${1:-$(git -C "$repo" rev-parse --abbrev-ref HEAD)}"
work="${2:-$(mktemp -d /tmp/memsieve-fresh-XXXXXX)}"
git clone -q -b "$branch" "$repo" "$work/clone" && cd "$work/clone" || exit 1
git log --oneline -1
python3 -m venv --without-pip "$work/venv"
mkdir -p "$work/bin"
IFS=: read -ra dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    name=$(basename "$f")
    case "$name" in zstd|unzstd|zstdcat|zstdmt|pzstd|chromium|chromium-browser|sbatch|squeue|sinfo|scancel|srun|salloc|scontrol|sacct|slurmctld|slurmd|munge|munged|mungekey) continue;; esac
    [ -e "$work/bin/$name" ] || ln -s "$f" "$work/bin/$name"
  done
done
export PATH="$work/bin" MEMSIEVE_PYTHON="$work/venv/bin/python3" MEMSIEVE_CHROMIUM=/nonexistent/chromium
# the README's commands exactly: `npm ci && npm run demo`, then `npm test`
npm ci 2>&1 | tee "$work/npm-ci.log" | tail -2; ci=${PIPESTATUS[0]}
echo "npm ci exit: $ci; npm ci warnings: $(grep -ci 'npm warn' "$work/npm-ci.log"); CUDA provider files: $(ls node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ | grep -c cuda)"
[ "$ci" = 0 ] || exit 1
npm run demo 2>&1 | tail -1; echo "demo exit: ${PIPESTATUS[0]}"
npm test 2>&1 | tee "$work/npm-test.log" | tail -6; status=${PIPESTATUS[0]}
echo "SKIPPING lines: $(grep -c 'SKIPPING' "$work/npm-test.log")"
grep -h 'SKIPPING\|skipped: ' "$work/npm-test.log"
echo "npm test exit: $status (logs in $work)"
exit "$status"
