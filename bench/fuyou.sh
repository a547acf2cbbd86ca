#!/usr/bin/env bash
# Fuyou SSD offload numbers of docs/memory.md, in one run:
#   1. FuyouBench: SSD probe (O_DIRECT sequential write + read), then the AdamW step on `small`'s
#      parameters with state and master weights offloaded (dense, and COAT), beside the bound the
#      probed bandwidth sets for the bytes each step moved, and the in-memory steps; probe again;
#   2. FuyouMemoryCheck: a ~27.5M-parameter model whose AdamW state is 4.4x a 48 MiB budget trains
#      to completion offloaded in a child JVM; its peak RSS (VmHWM) must stay under the peak of the
#      same training without optimizer (model + activations) plus the budget, also while it writes a
#      checkpoint and resumes from it into fresh offload files. Exit 1 if not.
#
#   bench/fuyou.sh [--dir DIR] [--budget 64m] [--steps 8] [--probe-mib 1024] [--no-build]
#
# --dir: where the offload and probe files go (default java.io.tmpdir; put it on the SSD to measure).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source bench/lib.sh
DIR="${TMPDIR:-/tmp}"
BUDGET=64m
STEPS=8
PROBE=1024
BUILD=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --budget) BUDGET="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --probe-mib) PROBE="$2"; shift 2 ;;
    --no-build) BUILD="--no-build"; shift ;;
    *) echo "usage: bench/fuyou.sh [--dir DIR] [--budget 64m] [--steps 8] [--probe-mib 1024] [--no-build]" >&2; exit 2 ;;
  esac
done
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
bench_jar $BUILD
say "uptime before: $(uptime)"
# the Vector API module for COAT's SIMD codec, as bin/spindle runs it
java -Xmx2g --add-modules=jdk.incubator.vector -cp "$BENCH_CP" io.spindle.bench.FuyouBench "$DIR" small "$BUDGET" "$STEPS" "$PROBE"
say "uptime between: $(uptime)"
java -Xmx1g -cp "$BENCH_CP" io.spindle.bench.FuyouMemoryCheck "$DIR" 48m 4
say "uptime after: $(uptime)"
