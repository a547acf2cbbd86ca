#!/usr/bin/env bash
# COAT vs dense optimizer step times of docs/memory.md: OptimizerStateBench on `small`'s parameters
# (dense and COAT one after the other in each JVM) for every combination of the thread count
# (OMP_NUM_THREADS: ND4J's threads and the optimizer update's, ChunkedUpdate) and COAT's codec
# (SIMD with --add-modules=jdk.incubator.vector, scalar with -Dspindle.coat.simd=false), each in its
# own JVM, the whole round repeated; the load average is printed before every JVM.
#
#   bench/coat-step.sh [--rounds 2] [--threads "1 2"] [--optimizers adamw,lamb] [--steps 8] [--no-build]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source bench/lib.sh
ROUNDS=2
THREADS="1 2"
OPTIMIZERS=adamw,lamb
STEPS=8
BUILD=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --optimizers) OPTIMIZERS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --no-build) BUILD="--no-build"; shift ;;
    *) echo "usage: bench/coat-step.sh [--rounds 2] [--threads \"1 2\"] [--optimizers adamw,lamb] [--steps 8] [--no-build]" >&2; exit 2 ;;
  esac
done
bench_jar $BUILD
for round in $(seq 1 "$ROUNDS"); do
  for threads in $THREADS; do
    for codec in --add-modules=jdk.incubator.vector -Dspindle.coat.simd=false; do
      say "round $round, OMP_NUM_THREADS=$threads, $codec, load $(load_average), $(date -u +%H:%M:%S) UTC"
      OMP_NUM_THREADS=$threads java -Xmx6g "$codec" -cp "$BENCH_CP" io.spindle.bench.OptimizerStateBench \
        small "$STEPS" "$OPTIMIZERS" 2>&1 | grep -v "^WARNING: Using incubator modules"
    done
  done
done
say "end, load $(load_average), $(date -u +%H:%M:%S) UTC"
