#!/usr/bin/env bash
# memsieve's PyTorch score and audit against naive loops, side by side; prints one JSON line
# (scripts/gpu_bench.py says what is measured). On the GPU machine, in ONE device call (≤ 8 min):
#   npm run build && SKIP="onnxruntime-node onnxruntime-common" ../shared/tools/device-pack.sh   (here)
#   source .device/unpack.sh && scripts/gpu-bench.sh        (device; carry .device and dist)
# CPU smoke run with tiny models, no transformers needed (CI runs it through test/torch/gpu-bench.test.ts):
#   GPU_BENCH_TINY=1 scripts/gpu-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${MEMSIEVE_PYTHON:-python3}"
[ -x /usr/bin/python3 ] && [ -z "${MEMSIEVE_PYTHON:-}" ] && [ "${GPU_BENCH_TINY:-}" = 1 ] && PY=/usr/bin/python3
if [ -z "${MEMSIEVE:-}" ]; then
  if [ -f dist/cli/main.js ]; then MEMSIEVE="node dist/cli/main.js"; else MEMSIEVE="node --import tsx src/cli/main.ts"; fi
fi
export MEMSIEVE MEMSIEVE_PYTHON="$PY"
export PYTHONPATH="$PWD/pipelines/torch${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" scripts/gpu_bench.py
