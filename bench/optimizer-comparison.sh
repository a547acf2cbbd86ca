#!/usr/bin/env bash
# The optimizer comparison of docs/optimizers.md, in one run:
#   1. times one optimizer step of each on the same model's parameters (OptimizerStepBench) and
#      measures Newton-Schulz against sgemm (NewtonSchulzThroughput), first, while the machine is
#      quiet (the trainings load every core);
#   2. trains the `small` model with each of AdamW, LAMB, Muon, NorMuon, AuON and Hybrid-AuON
#      (bin/spindle train conf/optim-<name>.conf: same data, steps, batch and schedule,
#      conf/optim-compare.conf), --jobs at a time, noting the load average before and after each;
#   3. draws docs/img/optimizers-val-loss.png from the runs' metrics.jsonl and prints the table.
#
#   bench/optimizer-comparison.sh [--optimizers adamw,lamb,...] [--jobs N] [--skip-bench]
#                                 [--skip-train] [--report-only] [--no-build]
#
# --jobs N runs N trainings at once with cores/N BLAS threads each: on 2 cores two 1-thread runs
#   finish the six sooner than six 2-thread runs in a row (one small run scales ~1.2x from 1 to 2
#   threads). Tokens/s in the table are then per run while another runs beside it: compare them
#   with each other, not with a run alone.
# --skip-bench / --skip-train leave out step 1 / step 2; --report-only is both.
# --no-build uses the existing jars as they are (e.g. a frozen copy while the tree keeps changing).
# Everything goes to bench/target/optim-comparison/ (runs/<name>/, *.txt logs, table.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OPTIMIZERS="adamw,lamb,muon,normuon,auon,hybrid-auon"
TRAIN=1
BENCH=1
BUILD=1
JOBS=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --optimizers) OPTIMIZERS="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --skip-bench) BENCH=0; shift ;;
    --skip-train) TRAIN=0; shift ;;
    --report-only) TRAIN=0; BENCH=0; shift ;;
    --no-build) BUILD=0; shift ;;
    *) echo "usage: bench/optimizer-comparison.sh [--optimizers adamw,lamb,...] [--jobs N] [--skip-bench] [--skip-train] [--report-only] [--no-build]" >&2; exit 2 ;;
  esac
done
IFS=',' read -r -a NAMES <<< "$OPTIMIZERS"
if ! [[ "$JOBS" =~ ^[1-9][0-9]*$ ]]; then echo "--jobs wants a positive whole number, got '$JOBS'" >&2; exit 2; fi
THREADS=$(( $(nproc) / JOBS )); (( THREADS >= 1 )) || THREADS=1
export OMP_NUM_THREADS=$(nproc) OPENBLAS_NUM_THREADS=$(nproc)
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

# --- 1. benchmarks: optimizer step time and state, Newton-Schulz vs sgemm -----------------------
if [[ $BENCH -eq 1 ]]; then
  say "OptimizerStepBench: $(nproc) threads, load average $(load)"
  "${JAVA[@]}" io.spindle.bench.OptimizerStepBench --rounds 20 "${CONFS[@]}" 2>&1 | grep -E '^(ENV|RESULT)' > "$OUT/optimizer-step.txt"
  cat "$OUT/optimizer-step.txt"
  say "NewtonSchulzThroughput: load average $(load)"
  "${JAVA[@]}" io.spindle.bench.NewtonSchulzThroughput 2>&1 | grep -E '^(ENV|RESULT)' > "$OUT/newton-schulz.txt"
  cat "$OUT/newton-schulz.txt"
  say "benchmarks done, load average $(load)"
fi

# --- 2. training runs, $JOBS at a time --------------------------------------------------------
train_one() {
  local name="$1" dir="$OUT/runs/$1" start
  rm -rf "$dir"
  start=$(date +%s)
  say "$name: start $(date '+%F %T'), $THREADS threads, load average $(load)"
  if ! OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS \
      bin/spindle train "conf/optim-$name.conf" --no-sample --set run.dir="$dir" > "$OUT/train-$name.txt" 2>&1; then
    say "$name: FAILED after $(( $(date +%s) - start )) s (see $OUT/train-$name.txt)"
    return 1
  fi
  say "$name: done in $(( $(date +%s) - start )) s, load average $(load); $(grep -E '^Finished' "$OUT/train-$name.txt")"
}
if [[ $TRAIN -eq 1 ]]; then
  say "revision $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'); $(nproc) cores; $JOBS at a time; $(java -version 2>&1 | head -1)"
  # Tokenize the corpus into data.prepared once, so that concurrent runs share it.
  bin/spindle prepare conf/optim-compare.conf --if-missing > "$OUT/prepare.txt" 2>&1
  running=0
  failed=0
  for name in "${NAMES[@]}"; do
    if (( running >= JOBS )); then wait -n || failed=$((failed + 1)); running=$((running - 1)); fi
    train_one "$name" &
    running=$((running + 1))
  done
  while (( running > 0 )); do wait -n || failed=$((failed + 1)); running=$((running - 1)); done
  if (( failed > 0 )); then say "$failed training run(s) failed: no plot"; exit 1; fi
fi

# --- 3. plot and table ---------------------------------------------------------------------------
RUN_DIRS=()
for name in "${NAMES[@]}"; do RUN_DIRS+=("$OUT/runs/$name"); done
"${JAVA[@]}" io.spindle.bench.OptimizerReport --png "$ROOT/docs/img/optimizers-val-loss.png" \
  --table "$OUT/table.md" --steps "$OUT/optimizer-step.txt" "${RUN_DIRS[@]}"
