#!/bin/bash
# What a kill costs (docs/pipelines.md, --checkpoint-seconds): score 2,000 kit rows uninterrupted, then
# kill -9 a run at 60% and time its rerun, for a low time bound and the default. Prints one line per bound.
# Usage: bash bench/resume.sh [bounds...]   (default: 2 300)
set -euo pipefail
cd "$(dirname "$0")/.."
K=fixtures/brown-tiny
T=$(mktemp -d /tmp/memsieve-bench-resume-XXXX)
M="node --import tsx src/cli/main.ts"
node --import tsx -e "
import { openReader, openWriter } from './src/io/index.ts';
const writer = await openWriter('$T/corpus.parquet', { rowGroupRows: 50 });
let left = 2000;
for await (const batch of openReader('$K/corpus.parquet')) { if (left <= 0) break; const part = batch.slice(0, left); left -= part.numRows; await writer.write(part); }
await writer.close();"
ARGS="--teacher $K/teacher.onnx --baseline $K/baseline.onnx --tokenizer $K/tokenizer.json --max-tokens 32 --prefix-tokens 8 --suffix-tokens 8 --batch-size 8 --threads 1"
now() { date +%s.%N; }
for bound in "${@:-2 300}"; do
  for b in $bound; do
    mkdir -p "$T/$b"
    s=$(now); $M score -i "$T/corpus.parquet" -o "$T/$b/whole.parquet" $ARGS --checkpoint-seconds "$b" -q 2>/dev/null; whole=$(echo "$(now) - $s" | bc)
    MEMSIEVE_PROGRESS_SECONDS=0 $M score -i "$T/corpus.parquet" -o "$T/$b/out.parquet" $ARGS --checkpoint-seconds "$b" 2>"$T/$b/progress.log" &
    pid=$!
    n=0
    while kill -0 $pid 2>/dev/null; do
      n=$(grep -oE '[0-9]+/2000 rows' "$T/$b/progress.log" | tail -1 | cut -d/ -f1 || true)
      if [ -n "$n" ] && [ "$n" -ge 1200 ]; then kill -9 $pid; break; fi
      sleep 0.05
    done
    wait $pid 2>/dev/null || true
    s=$(now); summary=$($M score -i "$T/corpus.parquet" -o "$T/$b/out.parquet" $ARGS --checkpoint-seconds "$b" -q 2>&1 | tail -1); rerun=$(echo "$(now) - $s" | bc)
    echo "checkpoint-seconds=$b uninterrupted=${whole}s killed_at_row=$n rerun=${rerun}s ratio=$(echo "scale=3; $rerun / $whole" | bc) resumed_rows=$(echo "$summary" | grep -o '"resumed_rows":[0-9]*' | cut -d: -f2) load=$(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
rm -rf "$T"
