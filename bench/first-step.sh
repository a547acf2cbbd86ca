#!/usr/bin/env bash
# Time from `bin/spindle train conf/tiny.conf` to its first training step, cold (the command prepares
# the dataset into its fresh run directory, as on a first run) and warm (data.prepared points at a
# dataset prepared before), with a breakdown; see io.spindle.bench.FirstStepBench.
#
#   bench/first-step.sh [--conf conf/tiny.conf] [--repeats 3] [--no-build]
#
# Also times `bin/spindle conformance --help` (JVM start, Spindle's classpath, CLI parsing; no
# Spark) three times, the floor under every command.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF=conf/tiny.conf
REPEATS=3
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --conf) CONF="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "usage: bench/first-step.sh [--conf FILE] [--repeats N] [--no-build]" >&2; exit 2 ;;
  esac
done
OUT="$ROOT/bench/target/first-step"
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"

if [[ $BUILD -eq 0 ]]; then bench_jar --no-build; else bench_jar; fi
spindle_built
DATA="$OUT/data"
if [[ ! -d "$DATA" ]]; then
  say "preparing the warm runs' dataset once: bin/spindle prepare $CONF --set data.prepared=$DATA"
  bin/spindle prepare "$CONF" --set data.prepared="$DATA"
fi
say "revision $(git rev-parse --short HEAD)$(git status --porcelain | grep -q . && echo ' (uncommitted changes)'); $(nproc) cores; load average: $(load_average)"
java -version 2>&1 | head -1
for i in 1 2 3; do
  start=$(date +%s.%N)
  bin/spindle conformance --help > /dev/null
  end=$(date +%s.%N)
  echo "RESULT jvm_cli run=$i seconds=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')"
done
measured first-step java -cp "$BENCH_CP" io.spindle.bench.FirstStepBench --conf "$CONF" --prepared "$DATA" \
  --repeats "$REPEATS" | tee "$OUT/first-step.txt"
say "load average after: $(load_average)"
