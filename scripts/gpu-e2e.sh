#!/usr/bin/env bash
# Issue 7 on the GPU machine: the paper's memorization drop reproduced with memsieve's own commands.
#   bash scripts/gpu-e2e.sh OUT_DIR      (on a CUDA machine with torch + transformers; node on PATH)
# Each step's wall time goes to OUT_DIR/times.tsv; outputs under OUT_DIR/work.
set -euo pipefail
out=${1:?usage: gpu-e2e.sh OUT_DIR}
K=fixtures/brown-tiny
W=$out/work
mkdir -p "$W"
export MEMSIEVE_PYTHON=${MEMSIEVE_PYTHON:-python3}
M="node dist/cli/main.js"
TORCH="--backend torch --device cuda --dtype float32"
RECIPE="--epochs 60 --lr 1e-3 --batch-size 256 --warmup-steps 60 --bf16 --device cuda --seed 0 --max-tokens 128 --log-every 1000 --quiet"
step() {
  local name=$1; shift
  local t0=$EPOCHREALTIME
  echo "== $name: $*"
  "$@"
  awk -v n="$name" -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%s\t%.1f\n", n, b - a }' | tee -a "$out/times.tsv"
}
audit() { step "audit-$1" $M audit -i $K/corpus.parquet -o "$W/audit-$1.parquet" --model "$2" --tokenizer $K/tokenizer.json --max-tokens 128 $TORCH --batch-size 1024 --quiet; }

step score $M score -i $K/corpus.parquet -o "$W/scores.parquet" --teacher $K/hf/teacher --baseline $K/hf/baseline \
  --tokenizer $K/tokenizer.json --max-tokens 128 $TORCH --batch-size 1024 --quiet
audit student $K/hf/student
step train $M train --scores "$W/scores.parquet" --labels "$W/audit-student.parquet" --output "$W/risk.json" --trials 20
step filter $M filter --input $K/corpus.parquet --scores "$W/scores.parquet" --model "$W/risk.json" \
  --clean "$W/clean.parquet" --removed "$W/removed.parquet" --report "$W/report"
step verify $M verify --report "$W/report"
# validation rows for both students' loss: a 10% sample of the corpus (the kit has no held-out set, so not held out)
step validation-sample $M sample -i $K/corpus.parquet -o "$W/validation.parquet" --fraction 0.1 --seed 1 --quiet
# the same recipe on D and on D_clean: the drop is measured between two students trained alike
step distill-soft-full $M distill --mode soft --teacher $K/hf/teacher --student-config $K/hf/baseline -i $K/corpus.parquet \
  --validation "$W/validation.parquet" --tokenizer $K/tokenizer.json --out "$W/student-soft-full" $RECIPE
audit student_full "$W/student-soft-full"
step distill-soft-clean $M distill --mode soft --teacher $K/hf/teacher --student-config $K/hf/baseline -i "$W/clean.parquet" \
  --validation "$W/validation.parquet" --tokenizer $K/tokenizer.json --out "$W/student-soft-clean" $RECIPE
audit student_clean "$W/student-soft-clean"
audit teacher $K/hf/teacher
audit baseline $K/hf/baseline
step compare $M compare --audit teacher="$W/audit-teacher.parquet" --audit baseline="$W/audit-baseline.parquet" \
  --audit student="$W/audit-student.parquet" --audit student_clean="$W/audit-student_clean.parquet" \
  --output "$W/overlap.json" --figure "$W/overlap.svg"
step distill-hard $M distill --mode hard --teacher $K/hf/teacher --student-config $K/hf/baseline -i $K/corpus.parquet \
  --tokenizer $K/tokenizer.json --out "$W/student-hard" $RECIPE
audit student_hard "$W/student-hard"
step compare-hard $M compare --audit teacher="$W/audit-teacher.parquet" --audit baseline="$W/audit-baseline.parquet" \
  --audit student="$W/audit-student.parquet" --audit student_clean="$W/audit-student_clean.parquet" \
  --audit student_hard="$W/audit-student_hard.parquet" --output "$W/overlap-hard.json" --figure "$W/overlap-hard.svg"
# the gate: the D_clean student against the same recipe on D; exit 3 (and this script fails) below a 90% drop
step verdict $M verdict --before "$W/audit-student_full.parquet" --after "$W/audit-student_clean.parquet" --removed "$W/report" \
  --teacher "$W/audit-teacher.parquet" --baseline "$W/audit-baseline.parquet" \
  --before-distill "$W/student-soft-full" --after-distill "$W/student-soft-clean" --min-drop 0.9 --output "$W/verdict.json"
