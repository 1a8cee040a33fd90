#!/usr/bin/env bash
# npm run test:torch: the Python tests of pipelines/torch under Debian's python3-torch (installed if missing).
set -euo pipefail
cd "$(dirname "$0")"
PY="${MEMSIEVE_PYTHON:-/usr/bin/python3}"
if ! "$PY" -c 'import torch, numpy, pytest' 2>/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing python3-torch python3-numpy python3-pytest (Debian) ..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch python3-numpy python3-pytest >/dev/null
fi
exec "$PY" -m pytest tests -q -rs -p no:cacheprovider "$@"
