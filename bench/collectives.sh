#!/usr/bin/env bash
# All-reduce bus bandwidth of the TCP ring, every rank its own JVM, beside the raw loopback TCP
# throughput of one stream measured in the same run; see io.spindle.bench.CollectivesBench.
#
#   bench/collectives.sh [--no-build] [CollectivesBench options: --ranks 2,4 --sizes 4,64,256
#                         --wires float32,bfloat16 --chunk-kib 1024 --iterations N ...]
#
# Logs: bench/target/collectives/ (the output as collectives.txt, each child JVM's stderr).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/target/collectives"
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"
if [[ "${1:-}" == "--no-build" ]]; then shift; bench_jar --no-build; else bench_jar; fi
say "revision $(git rev-parse --short HEAD)$(git status --porcelain | grep -q . && echo ' (uncommitted changes)')"
measured collectives java -cp "$BENCH_CP" io.spindle.bench.CollectivesBench --logs "$OUT" "$@" | tee "$OUT/collectives.txt"
