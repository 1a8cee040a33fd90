#!/usr/bin/env bash
# npm run setup:test: the Debian packages the whole test suite needs (CI runs this too, via .ci/run).
# python3-torch/sklearn/numpy/pytest: the PyTorch steps and the scikit-learn cross-checks (Debian's /usr/bin/python3);
# python3-venv + python3-wheel: the tests pip-install pipelines/torch (memsieve-torch) into a fresh venv;
# chromium: the report page test; slurm-wlm + munge: the real single-node Slurm test; gzip + zstd: the
# command-line tools the compressed-JSONL tests check memsieve's files against.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  python3-torch python3-sklearn python3-numpy python3-pytest python3-venv python3-wheel chromium slurm-wlm munge gzip zstd >/dev/null
