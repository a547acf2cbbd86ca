#!/usr/bin/env bash
# Training step time of one model at TP=1 (one JVM, 1 and 2 threads) and TP=2 (two JVMs on one
# TCP ring over loopback, 1 thread each), with the share of each TP=2 rank's step spent inside
# collectives and the bytes they move; see io.spindle.bench.TpStepBench.
#
#   bench/tp-step.sh [--no-build] [--steps N] [--warmup N] [--rounds N] [--conf FILE] [--set key=value]...
#
# Defaults: conf/small.conf at train.batch 8 x train.seq 128 (a later --set train.seq=... wins),
# 30 timed steps after 5 warm-up steps, one round. The config's dataset is prepared once
# (bin/spindle prepare) into bench/target/tp-step/data-<conf name>, and no run writes anything else.
# Logs: bench/target/tp-step/ (the output as tp-step.txt, each child JVM's stderr).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/target/tp-step"
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"
BUILD=1
if [[ "${1:-}" == "--no-build" ]]; then BUILD=0; shift; fi
CONF=conf/small.conf
ARGS=("$@")
for ((i = 0; i < ${#ARGS[@]}; i++)); do
  if [[ "${ARGS[$i]}" == "--conf" ]]; then CONF="${ARGS[$((i + 1))]:?--conf needs a file}"; fi
done

if [[ $BUILD -eq 0 ]]; then bench_jar --no-build; else bench_jar; fi
spindle_jvm_opts
DATA="$OUT/data-$(basename "$CONF" .conf)"
if [[ ! -f "$DATA/dataset.json" ]]; then
  spindle_built
  say "preparing the dataset once: bin/spindle prepare $CONF --set data.prepared=$DATA"
  bin/spindle prepare "$CONF" --set data.prepared="$DATA"
fi
say "revision $(git rev-parse --short HEAD)$(git status --porcelain | grep -q . && echo ' (uncommitted changes)'); $(nproc) cores; load average: $(load_average)"
measured tp-step java "${SPINDLE_JVM_OPTS[@]}" -cp "$BENCH_CP" io.spindle.bench.TpStepBench --conf "$CONF" --logs "$OUT" \
  --set data.prepared="$DATA" --set train.seq=128 "${ARGS[@]}" | tee "$OUT/tp-step.txt"
