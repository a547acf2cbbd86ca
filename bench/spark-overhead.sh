#!/usr/bin/env bash
# Per-step time of DP=1 training under Spark (bin/spindle train, embedded local[*]) vs the same
# config in a plain JVM without Spark (io.spindle.bench.InProcessTraining: the same RankRun and
# RankTrainer), measured in one run on the same machine.
#
#   bench/spark-overhead.sh [--conf conf/tiny.conf] [--steps 200] [--pairs 2] [--warmup 20] [--no-build]
#
# The dataset is prepared once into bench/target/spark-overhead/data (bin/spindle prepare) and
# shared by every run (data.prepared), so no run prepares data. Runs alternate A B B A ... (Spark
# first in odd pairs, in-process first in even pairs) to cancel drift in the machine's speed.
# Both read step_ms from their metrics.jsonl; the first --warmup steps of every run are dropped.
# Both JVMs get the same options (bin/spindle's --add-opens, no -Xmx) and OMP_NUM_THREADS=2, which
# is what bin/spindle sets on this 2-core machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF=conf/tiny.conf
STEPS=200
PAIRS=2
WARMUP=20
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --conf) CONF="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --pairs) PAIRS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "usage: bench/spark-overhead.sh [--conf FILE] [--steps N] [--pairs N] [--warmup N] [--no-build]" >&2; exit 2 ;;
  esac
done
OUT="$ROOT/bench/target/spark-overhead"
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"
export OMP_NUM_THREADS=2

if [[ $BUILD -eq 0 ]]; then bench_jar --no-build; else bench_jar; fi
spindle_built
spindle_jvm_opts
DATA="$OUT/data"
COMMON=(--set train.steps="$STEPS" --set data.prepared="$DATA")
if [[ ! -d "$DATA" ]]; then
  say "preparing the dataset once: bin/spindle prepare $CONF --set data.prepared=$DATA"
  bin/spindle prepare "$CONF" --set data.prepared="$DATA"
fi

STAMP=$(date +%Y%m%d-%H%M%S)
say "revision $(git rev-parse --short HEAD)$(git status --porcelain | grep -q . && echo ' (uncommitted changes)'); $(nproc) cores; load average: $(load_average)"
java -version 2>&1 | head -1
RUNS=()
spark_run() {
  local name="bench-ovh-$STAMP-spark-$1"
  say "Spark: bin/spindle train $CONF --set run.name=$name ${COMMON[*]} --no-sample   (load $(load_average))"
  if ! measured "spark-$1" bin/spindle train "$CONF" --set run.name="$name" "${COMMON[@]}" --no-sample > "$OUT/$name.log" 2>&1; then
    tail -20 "$OUT/$name.log"; exit 1
  fi
  tail -2 "$OUT/$name.log"
  RUNS+=("spark runs/$name/metrics.jsonl")
}
inprocess_run() {
  local name="bench-ovh-$STAMP-inproc-$1"
  say "in-process: java SPINDLE_JVM_OPTS -cp BENCH_CP io.spindle.bench.InProcessTraining $CONF --set run.name=$name ${COMMON[*]}   (load $(load_average))"
  if ! measured "inproc-$1" java "${SPINDLE_JVM_OPTS[@]}" -cp "$BENCH_CP" io.spindle.bench.InProcessTraining "$CONF" --set run.name="$name" \
      "${COMMON[@]}" > "$OUT/$name.log" 2>&1; then
    tail -20 "$OUT/$name.log"; exit 1
  fi
  tail -1 "$OUT/$name.log"
  RUNS+=("inproc runs/$name/metrics.jsonl")
}
for ((p = 1; p <= PAIRS; p++)); do
  if (( p % 2 == 1 )); then spark_run "$p"; inprocess_run "$p"; else inprocess_run "$p"; spark_run "$p"; fi
done
say "load average after: $(load_average)"

/usr/bin/python3 - "$WARMUP" "${RUNS[@]}" <<'PYEOF'
import json, statistics, sys

warmup = int(sys.argv[1])
by_kind = {}
print(f"\nstep_ms per run (steps after the first {warmup}):")
print(f"{'run':<8} {'steps':>5} {'median':>8} {'mean':>8} {'p10':>8} {'p90':>8}  file")
for arg in sys.argv[2:]:
    kind, path = arg.split(" ", 1)
    ms = [r["step_ms"] for r in map(json.loads, open(path)) if "step_ms" in r and r["step"] > warmup]
    if len(ms) < 2:
        sys.exit(f"{path}: {len(ms)} step_ms rows after step {warmup}; need --steps well above --warmup")
    q = statistics.quantiles(ms, n=10)
    print(f"{kind:<8} {len(ms):>5} {statistics.median(ms):>8.1f} {statistics.mean(ms):>8.1f} {q[0]:>8.1f} {q[-1]:>8.1f}  {path}")
    by_kind.setdefault(kind, []).extend(ms)
spark, inproc = by_kind["spark"], by_kind["inproc"]
ms, mi = statistics.median(spark), statistics.median(inproc)
print(f"\nRESULT spark_overhead spark_median_ms={ms:.1f} inprocess_median_ms={mi:.1f} "
      f"overhead_pct={100 * (ms - mi) / mi:+.1f} spark_mean_ms={statistics.mean(spark):.1f} "
      f"inprocess_mean_ms={statistics.mean(inproc):.1f} steps_each={len(spark)}/{len(inproc)}")
PYEOF
