#!/usr/bin/env bash
# The MLA/TPLA numbers of docs/parallel.md (issue 8), on the `small` MLA model of conf/mla-small.conf:
#   kv        KV-cache bytes per rank, MLA vs TPLA at each T of --tp, at the whole context
#             (io.spindle.bench.KvCacheBench: read from the real caches, with the JVM's allocation
#             count and the formula beside them)
#   decode    decoding tokens/s, MLA on one thread vs TPLA over --decode-tp rank threads
#             (io.spindle.bench.DecodeBench), --reps repetitions, medians
#   mla-loss  validation loss of one MLA-trained model evaluated as MLA and as TPLA with no
#             transform, Hadamard and PCA at each T of --tp (io.spindle.bench.TplaDifference);
#             trains conf/mla-small.conf into bench/target/mla-small first unless --run-dir names
#             a trained run (15-25 min on the shared 2-core machine)
# Prints the RESULT lines and the load average around each part; logs in bench/target/parallel-report/.
#
#   bench/parallel-report.sh [--only kv,decode,mla-loss] [--conf FILE] [--tp 2,4] [--decode-tp 2]
#                            [--reps 5] [--prompt 64] [--run-dir DIR] [--calibration 4] [--batches 8]
#                            [--no-build]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ONLY="kv,decode,mla-loss"
CONF=conf/mla-small.conf
TP=2,4
DECODE_TP=2
REPS=5
PROMPT=64
RUN_DIR=""
CALIBRATION=4
BATCHES=8
BUILD=1
usage() {
  echo "usage: bench/parallel-report.sh [--only kv,decode,mla-loss] [--conf FILE] [--tp 2,4] [--decode-tp 2] [--reps 5]" \
       "[--prompt 64] [--run-dir DIR] [--calibration 4] [--batches 8] [--no-build]" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) ONLY="$2"; shift 2 ;;
    --conf) CONF="$2"; shift 2 ;;
    --tp) TP="$2"; shift 2 ;;
    --decode-tp) DECODE_TP="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --prompt) PROMPT="$2"; shift 2 ;;
    --run-dir) RUN_DIR="$2"; shift 2 ;;
    --calibration) CALIBRATION="$2"; shift 2 ;;
    --batches) BATCHES="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) usage ;;
  esac
done
for part in ${ONLY//,/ }; do
  [[ "$part" == kv || "$part" == decode || "$part" == mla-loss ]] || { echo "unknown part '$part' in --only" >&2; usage; }
done
OUT="$ROOT/bench/target/parallel-report"
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"
# one BLAS thread per rank (and for MLA's one device): the machine has 2 cores and is shared
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-${OMP_NUM_THREADS:-1}}"
wanted() { [[ ",$ONLY," == *",$1,"* ]]; }

if [[ $BUILD -eq 0 ]]; then bench_jar --no-build; else bench_jar; fi
spindle_jvm_opts
bench() {   # CLASS LOG ARGS...: one bench main, its RESULT lines on the console, everything in LOG
  local class="$1" log="$2"; shift 2
  say "java io.spindle.bench.$class $*   (load $(load_average))"
  java -Xmx4g "${SPINDLE_JVM_OPTS[@]}" -cp "$BENCH_CP" "io.spindle.bench.$class" "$@" > "$log" 2>&1 \
    || { tail -20 "$log" >&2; exit 1; }
  grep -E '^(RESULT|ENV|#)' "$log"
  say "load after: $(load_average)"
}
say "revision $(git rev-parse --short HEAD)$(git status --porcelain | grep -q . && echo ' (uncommitted changes)');" \
    "$(nproc --all) cores; OMP_NUM_THREADS=$OMP_NUM_THREADS; load average $(load_average)"

if wanted kv; then
  bench KvCacheBench "$OUT/kv.log" "$CONF" --tp "$TP"
fi
if wanted decode; then
  bench DecodeBench "$OUT/decode.log" "$CONF" --tp "$DECODE_TP" --reps "$REPS" --prompt "$PROMPT"
fi
if wanted mla-loss; then
  if [[ -z "$RUN_DIR" ]]; then
    RUN_DIR="$ROOT/bench/target/mla-small"
    spindle_built
    rm -rf "${RUN_DIR:?}"
    # a checkpoint every 50 steps: a run stopped early still leaves a model to evaluate with --run-dir
    say "training: bin/spindle train $CONF --no-sample --set run.dir=$RUN_DIR --set train.checkpointEvery=50   (load $(load_average))"
    measured train-mla-small bin/spindle train "$CONF" --no-sample --set "run.dir=$RUN_DIR" --set train.checkpointEvery=50 \
      > "$OUT/train.log" 2>&1 \
      || { tail -20 "$OUT/train.log" >&2; exit 1; }
    grep -E '^(Finished|== CPU)' "$OUT/train.log" || true
  fi
  for t in ${TP//,/ }; do
    bench TplaDifference "$OUT/mla-loss-T$t.log" "$RUN_DIR" --tp "$t" --calibration "$CALIBRATION" --batches "$BATCHES"
  done
fi
