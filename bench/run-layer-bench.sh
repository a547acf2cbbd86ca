#!/usr/bin/env bash
# Builds the bench jar and runs one layer benchmark main with 2 threads, printing the load average
# before and after (the figures in docs/layers.md come from this script).
#
#   bench/run-layer-bench.sh CLASS [ARGS...]      e.g. bench/run-layer-bench.sh GrKanBench
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: bench/run-layer-bench.sh CLASS [ARGS...]   (a main in io.spindle.bench, e.g. GrKanBench)" >&2
  exit 2
fi
CLASS="$1"; shift
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
cd "$ROOT"
mvn -o -B -q -pl bench -am -Dmaven.test.skip=true package dependency:build-classpath \
    -Dmdep.outputFile=target/classpath.txt
CP="$ROOT/bench/target/spindle-bench-0.1.0-SNAPSHOT.jar:$(cat "$ROOT/bench/target/classpath.txt")"
echo "== $(date -u +%FT%TZ) revision $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes') uptime:$(uptime)"
# Arrow (token shards) reads direct buffers: benchmarks that load a run's data need java.nio opened
java -Xmx4g --add-opens=java.base/java.nio=ALL-UNNAMED -cp "$CP" "io.spindle.bench.$CLASS" "$@"
echo "== uptime after:$(uptime)"
