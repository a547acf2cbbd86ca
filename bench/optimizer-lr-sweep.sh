#!/usr/bin/env bash
# Short learning-rate sweep on the optimizer comparison's setup (conf/optim-<name>.conf, i.e.
# conf/optim-compare.conf), cut to --steps steps with a tenth of them as warmup. For the Muon
# family a point is the matrix group's optim.matrixLrScale (x train.lr); for adamw and lamb, which
# have one group, it multiplies the run's own train.lr and train.minLr. Prints one line per point
# with the final validation loss and writes the same table to bench/target/optim-sweep/sweep.tsv.
#
#   bench/optimizer-lr-sweep.sh [--steps N] [--grid "muon:10,20,40 auon:100,300,1000"]
#
# Default grid: every Muon-family optimizer at three scales a factor 2-3 apart around the value
# its update size suggests, and LAMB, whose trust ratio shrinks its steps by about ||w||/||u||
# (docs/optimizers.md explains the centres). Runs go one after another.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STEPS=60
GRID="muon:10,20,40 normuon:10,20,40 auon:10,30,100 hybrid-auon:10,30,100 lamb:3,10,30"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="$2"; shift 2 ;;
    --grid) GRID="$2"; shift 2 ;;
    *) echo "usage: bench/optimizer-lr-sweep.sh [--steps N] [--grid \"name:s1,s2 ...\"]" >&2; exit 2 ;;
  esac
done
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-${OMP_NUM_THREADS}}"
OUT="$ROOT/bench/target/optim-sweep"
mkdir -p "$OUT"
TABLE="$OUT/sweep.tsv"
[[ -f "$TABLE" ]] || printf 'optimizer\tlr_scale\tsteps\tfinal_val_loss\tload_before\tload_after\n' > "$TABLE"
bin/spindle conformance --help > /dev/null   # builds once, before the first timed run
WARMUP=$(( STEPS / 10 ))
for entry in $GRID; do
  name="${entry%%:*}"
  IFS=',' read -r -a scales <<< "${entry#*:}"
  for scale in "${scales[@]}"; do
    dir="$OUT/$name-$scale-$STEPS"
    rm -rf "$dir"
    before="$(cut -d' ' -f1-3 /proc/loadavg)"
    case "$name" in
      adamw|lamb)   # the conf's own train.lr and train.minLr, as bin/spindle config resolves them
        resolved="$(bin/spindle config "conf/optim-$name.conf" 2>/dev/null)"
        base_lr="$(sed -nE 's/^ *lr=([0-9.eE+-]+)$/\1/p' <<< "$resolved" | head -1)"
        base_min="$(sed -nE 's/^ *minLr=([0-9.eE+-]+)$/\1/p' <<< "$resolved" | head -1)"
        lr_keys=(--set "train.lr=$(python3 -c "print($base_lr*$scale)")" --set "train.minLr=$(python3 -c "print($base_min*$scale)")") ;;
      *) lr_keys=(--set "optim.matrixLrScale=$scale") ;;
    esac
    bin/spindle train "conf/optim-$name.conf" --no-sample --set run.dir="$dir" \
      --set train.steps="$STEPS" --set train.warmupSteps="$WARMUP" --set train.evalEvery="$STEPS" \
      --set train.checkpointEvery="$STEPS" "${lr_keys[@]}" > "$dir.log" 2>&1 \
      || { echo "$name $scale failed; see $dir.log" >&2; tail -5 "$dir.log" >&2; }
    after="$(cut -d' ' -f1-3 /proc/loadavg)"
    loss="$(grep '"val_loss"' "$dir/metrics.jsonl" 2>/dev/null | tail -1 | sed -E 's/.*"val_loss":([0-9.eE+-]+|NaN).*/\1/')"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$scale" "$STEPS" "${loss:-failed}" "$before" "$after" | tee -a "$TABLE"
  done
done
