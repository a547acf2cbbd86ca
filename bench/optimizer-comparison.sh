#!/usr/bin/env bash
# The optimizer comparison of docs/optimizers.md, in one run:
#   1. trains the `small` model with each of AdamW, LAMB, Muon, NorMuon, AuON and Hybrid-AuON
#      (bin/spindle train conf/optim-<name>.conf: same data, steps, batch and schedule,
#      conf/optim-compare.conf), one after another, noting the load average before and after each;
#   2. times one optimizer step of each on the same model's parameters (OptimizerStepBench) and
#      measures Newton-Schulz against sgemm (NewtonSchulzThroughput);
#   3. draws docs/img/optimizers-val-loss.png from the runs' metrics.jsonl and prints the table.
#
#   bench/optimizer-comparison.sh [--optimizers adamw,lamb,...] [--report-only] [--no-build]
#
# --report-only redraws plot and table from the existing runs and benchmark logs.
# --no-build uses the existing jars as they are (e.g. a frozen copy while the tree keeps changing).
# Everything goes to bench/target/optim-comparison/ (runs/<name>/, *.txt logs, table.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OPTIMIZERS="adamw,lamb,muon,normuon,auon,hybrid-auon"
TRAIN=1
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --optimizers) OPTIMIZERS="$2"; shift 2 ;;
    --report-only) TRAIN=0; shift ;;
    --no-build) BUILD=0; shift ;;
    *) echo "usage: bench/optimizer-comparison.sh [--optimizers adamw,lamb,...] [--report-only] [--no-build]" >&2; exit 2 ;;
  esac
done
IFS=',' read -r -a NAMES <<< "$OPTIMIZERS"
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
OUT="$ROOT/bench/target/optim-comparison"
mkdir -p "$OUT/runs"
say() { echo "== $*" | tee -a "$OUT/log.txt"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# --- build: the CLI (bin/spindle builds on first use) and the bench jar with its classpath -----
if [[ $BUILD -eq 1 ]]; then
  bin/spindle conformance --help > /dev/null
  (mvn -o -q -B -pl bench -am -Dmaven.test.skip=true package dependency:build-classpath \
     -Dmdep.outputFile=target/classpath.txt || mvn -q -B -pl bench -am -Dmaven.test.skip=true package \
     dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)
fi
CP="$(ls "$ROOT"/bench/target/spindle-bench-*.jar | grep -v -- -sources | head -1):$(cat "$ROOT/bench/target/classpath.txt")"
JAVA=(java -Xmx4g -cp "$CP")
CONFS=()
for name in "${NAMES[@]}"; do CONFS+=("conf/optim-$name.conf"); done

# --- 1. training runs ----------------------------------------------------------------------------
if [[ $TRAIN -eq 1 ]]; then
  say "revision $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(nproc) cores; $(java -version 2>&1 | head -1)"
  for name in "${NAMES[@]}"; do
    dir="$OUT/runs/$name"
    rm -rf "$dir"
    start=$(date +%s)
    say "$name: start $(date '+%F %T'), load average $(load)"
    bin/spindle train "conf/optim-$name.conf" --no-sample --set run.dir="$dir" > "$OUT/train-$name.txt" 2>&1
    say "$name: done in $(( $(date +%s) - start )) s, load average $(load); $(grep -E '^Finished' "$OUT/train-$name.txt")"
  done

  # --- 2. benchmarks: optimizer step time and state, Newton-Schulz vs sgemm ---------------------
  say "OptimizerStepBench: load average $(load)"
  "${JAVA[@]}" io.spindle.bench.OptimizerStepBench --rounds 20 "${CONFS[@]}" 2>&1 | grep -E '^(ENV|RESULT)' > "$OUT/optimizer-step.txt"
  cat "$OUT/optimizer-step.txt"
  say "NewtonSchulzThroughput: load average $(load)"
  "${JAVA[@]}" io.spindle.bench.NewtonSchulzThroughput 2>&1 | grep -E '^(ENV|RESULT)' > "$OUT/newton-schulz.txt"
  cat "$OUT/newton-schulz.txt"
  say "benchmarks done, load average $(load)"
fi

# --- 3. plot and table ---------------------------------------------------------------------------
RUN_DIRS=()
for name in "${NAMES[@]}"; do RUN_DIRS+=("$OUT/runs/$name"); done
"${JAVA[@]}" io.spindle.bench.OptimizerReport --png "$ROOT/docs/img/optimizers-val-loss.png" \
  --table "$OUT/table.md" --steps "$OUT/optimizer-step.txt" "${RUN_DIRS[@]}"
