#!/usr/bin/env bash
# Validation loss of one flavor with attention, Mamba, a Mamba/attention hybrid and GR-KAN FFNs,
# trained with the same steps, data, seed and schedule, one run after another.
#
#   bench/architecture-comparison.sh [--conf conf/tiny.conf] [--steps N]
#
# Each run is `bin/spindle train CONF --set run.name=arch-KIND --set train.steps=N ...` with the
# architecture keys below; the prepared data is shared (runs/arch-data). Prints one line per run:
# the validation losses (nats/token) at each evaluation, the final one, median tokens/s and the
# wall time, read from runs/arch-KIND/metrics.jsonl.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF="conf/tiny.conf"
STEPS=600
while [[ $# -gt 0 ]]; do
  case "$1" in
    --conf) CONF="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    *) echo "usage: bench/architecture-comparison.sh [--conf conf/tiny.conf] [--steps N]" >&2; exit 2 ;;
  esac
done
cd "$ROOT"
mkdir -p runs
export OMP_NUM_THREADS=2
# the flavor's layer count decides the hybrid pattern: attention in every fourth block from the third
FLAVOR=$(grep -h "model.flavor" "$CONF" | head -1 | sed 's/.*= *//')
case "$FLAVOR" in tiny) LAYERS=4 ;; small) LAYERS=6 ;; *) echo "unknown flavor in $CONF" >&2; exit 2 ;; esac
HYBRID=$(python3 -c "print('[' + ', '.join('attention' if i % 4 == 2 else 'mamba' for i in range($LAYERS)) + ']')")
declare -A KINDS=(
  [attention]=""
  [mamba]="model.mixers=mamba"
  [hybrid]="model.mixers=$HYBRID"
  [gr-kan]="model.ffn=gr-kan"
)
echo "== $(date -u +%FT%TZ) revision $(git rev-parse --short HEAD) conf=$CONF steps=$STEPS uptime:$(uptime)"
for kind in attention mamba hybrid gr-kan; do
  name="arch-$kind"
  rm -rf "runs/$name"
  args=(train "$CONF" --no-sample --set "run.name=$name" --set "train.steps=$STEPS" --set "data.prepared=runs/arch-data"
        --set "train.checkpointEvery=$STEPS")
  [[ -n "${KINDS[$kind]}" ]] && args+=(--set "${KINDS[$kind]}")
  start=$(date +%s)
  bin/spindle "${args[@]}" > "runs/$name.log" 2>&1 || { echo "RUN $kind failed: see runs/$name.log"; continue; }
  wall=$(( $(date +%s) - start ))
  python3 - "runs/$name/metrics.jsonl" "$kind" "$wall" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
val = [(r["step"], r["val_loss"]) for r in rows if "val_loss" in r]
tps = [r["tokens_per_s"] for r in rows if "tokens_per_s" in r]
print("RESULT arch=%s val_loss=%s final_val_loss=%.3f median_tokens_per_s=%.0f wall_s=%s" % (
    sys.argv[2], " ".join("%d:%.3f" % v for v in val), val[-1][1], statistics.median(tps), sys.argv[3]))
PY
done
echo "== uptime after:$(uptime)"
