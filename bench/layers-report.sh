#!/usr/bin/env bash
# The issue-6 report of docs/layers.md on the `small` model (conf/layers-report.conf: same data,
# steps, batch and schedule for every run), one run after another:
#   baseline   plain small model
#   matformer  FFNs nested at H/8, H/4, H/2, H (summed objective); every granularity and three
#              Mix'n'Match choices extracted (bin/spindle extract --widths) and evaluated
#   colm       three chains of 128 (every prefix trained, equal weights), FFN hidden 1152 = 3 x 384
#              so that every prefix's FFN width is whole (small's 1024 is not a multiple of 3); each prefix k = 1..3
#              extracted (--chains k) and evaluated; then grown by one chain of 128
#              (--grow 128) and trained on for --grow-steps steps (the growth curve)
#   masa       MASA with 2 atoms per projection type trained from scratch
#   converted  the baseline converted to MASA (bin/spindle convert --atoms 2), evaluated as
#              converted, then trained on for the same steps (run.initFrom)
#   continued  the baseline trained on for the same steps the same way (run.initFrom, a fresh
#              schedule): what converted-trained's extra steps are worth without the conversion
# Every evaluation uses the same --eval-batches validation batches. Prints one RESULT line per
# model and writes bench/target/layers-report/results.tsv (+ logs).
#
#   bench/layers-report.sh [--steps N] [--grow-steps N] [--eval-batches N] [--only a,b,...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STEPS=200
GROW_STEPS=100
EVAL_BATCHES=48
ONLY="baseline,matformer,colm,masa,converted,continued"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="$2"; shift 2 ;;
    --grow-steps) GROW_STEPS="$2"; shift 2 ;;
    --eval-batches) EVAL_BATCHES="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "usage: bench/layers-report.sh [--steps N] [--grow-steps N] [--eval-batches N] [--only baseline,matformer,colm,masa,converted,continued]" >&2; exit 2 ;;
  esac
done
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-${OMP_NUM_THREADS}}"   # 1 when another run shares the machine
OUT="$ROOT/bench/target/layers-report"
RUNS="$OUT/runs"
mkdir -p "$RUNS"
TABLE="$OUT/results.tsv"
[[ -f "$TABLE" ]] || printf 'model\tparameters\tval_loss\tval_bpb\tsource\n' > "$TABLE"
load() { cut -d' ' -f1-3 /proc/loadavg; }
wanted() { [[ ",$ONLY," == *",$1,"* ]]; }
say() { echo "== $(date '+%F %T') $*  (load $(load))"; }
COMMON=(--no-sample --set "train.steps=$STEPS" --set "train.checkpointEvery=$STEPS")

bin/spindle conformance --help > /dev/null   # builds once, before the first run
echo "== revision $(git rev-parse --short HEAD); $(nproc) cores; steps=$STEPS grow-steps=$GROW_STEPS eval-batches=$EVAL_BATCHES"

train() {   # NAME [--set ...]...: trains conf/layers-report.conf into $RUNS/NAME
  local name="$1"; shift
  rm -rf "${RUNS:?}/$name"
  say "train $name $*"
  bin/spindle train conf/layers-report.conf "${COMMON[@]}" --set "run.dir=$RUNS/$name" "$@" > "$RUNS/$name.log" 2>&1 \
    || { tail -20 "$RUNS/$name.log" >&2; exit 1; }
  grep -E '^Finished' "$RUNS/$name.log" || true
}
evaluate() {   # LABEL DIR: one RESULT line and a row of results.tsv
  local label="$1" dir="$2" out params
  out="$(bin/spindle eval "$dir" --batches "$EVAL_BATCHES" 2>"$OUT/eval-$label.err")" || { cat "$OUT/eval-$label.err" >&2; exit 1; }
  params="$(sed -n 's/.*step [0-9]*, \([0-9,]*\) parameters.*/\1/p' <<< "$out" | tr -d ,)"
  python3 - "$label" "$dir" "${params:-?}" "$TABLE" <<PY
import re, sys
label, path, params, table = sys.argv[1:5]
text = """$out"""
m = re.search(r"val_loss ([0-9.]+) .*val_bpb ([0-9.]+)", text)
print(f"RESULT model={label} parameters={params} val_loss={m.group(1)} val_bpb={m.group(2)} source={path}")
open(table, "a").write(f"{label}\t{params}\t{m.group(1)}\t{m.group(2)}\t{path}\n")
PY
}
derive() {   # LABEL COMMAND SOURCE ARGS...: bin/spindle extract|convert into $RUNS/LABEL, then evaluate it
  local label="$1" command="$2" source="$3"; shift 3
  rm -rf "${RUNS:?}/$label"
  bin/spindle "$command" "$source" --out "$RUNS/$label" "$@" > "$RUNS/$label.log" 2>&1 || { cat "$RUNS/$label.log" >&2; exit 1; }
  evaluate "$label" "$RUNS/$label"
}

if wanted baseline || wanted converted || wanted continued; then
  [[ -d "$RUNS/baseline/checkpoints" ]] && ! wanted baseline || { train baseline; }
  wanted baseline && evaluate baseline "$RUNS/baseline"
fi
if wanted matformer; then
  train matformer --set 'model.matformer.divisors=[8,4,2,1]' --set model.matformer.mode=summed
  for w in 128 256 512 1024 256,256,512,512,1024,1024 1024,1024,512,512,256,256 512,512,512,256,256,256; do
    derive "matformer-$w" extract "$RUNS/matformer" --widths "$w"
  done
fi
if wanted colm; then
  train colm --set 'model.colm.chains=[128,128,128]' --set model.ffnHidden=1152 --set model.colm.prefixMode=summed --set 'model.colm.prefixWeights=[1,1,1]'
  for k in 1 2 3; do derive "colm-k$k" extract "$RUNS/colm" --chains "$k"; done
  derive colm-grown extract "$RUNS/colm" --grow 128
  rm -rf "$RUNS/colm-grown-trained"
  say "train colm-grown-trained ($GROW_STEPS steps from the grown checkpoint)"
  bin/spindle train "$RUNS/colm-grown/config.resolved.conf" --no-sample --set "run.dir=$RUNS/colm-grown-trained" \
    --set "run.initFrom=$RUNS/colm-grown" --set "train.steps=$GROW_STEPS" --set "train.checkpointEvery=$GROW_STEPS" \
    --set "train.warmupSteps=$(( GROW_STEPS / 10 ))" > "$RUNS/colm-grown-trained.log" 2>&1 \
    || { tail -20 "$RUNS/colm-grown-trained.log" >&2; exit 1; }
  evaluate colm-grown-trained "$RUNS/colm-grown-trained"
fi
if wanted masa; then
  train masa --set model.masa.atoms=2
  evaluate masa "$RUNS/masa"
fi
train_on() {   # LABEL SOURCE: trains the run directory SOURCE on for $STEPS steps (run.initFrom, a fresh
               # schedule) into $RUNS/LABEL and evaluates it
  local label="$1" source="$2"
  rm -rf "${RUNS:?}/$label"
  say "train $label ($STEPS steps from $(basename "$source")'s checkpoint)"
  bin/spindle train "$source/config.resolved.conf" "${COMMON[@]}" --set "run.dir=$RUNS/$label" \
    --set "run.initFrom=$source" > "$RUNS/$label.log" 2>&1 || { tail -20 "$RUNS/$label.log" >&2; exit 1; }
  evaluate "$label" "$RUNS/$label"
}
if wanted converted; then
  derive converted convert "$RUNS/baseline" --atoms 2
  train_on converted-trained "$RUNS/converted"
fi
if wanted continued; then
  train_on baseline-continued "$RUNS/baseline"
fi
say "done; validation curves: $RUNS/*/metrics.jsonl"
