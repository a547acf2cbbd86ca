#!/usr/bin/env bash
# COAT-AdamW vs dense AdamW on `small` (docs/memory.md): trains conf/coat-compare.conf twice, with
# optim.state = dense and = coat, then prints both validation-loss curves and the final difference.
# Usage: bench/coat-compare.sh [extra --set overrides...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
STAMP="$(date +%Y%m%d-%H%M%S)"
for state in dense coat; do
  echo "== optim.state=$state ($(uptime))"
  bin/spindle train conf/coat-compare.conf --no-sample --set optim.state=$state \
      --set run.dir=runs/coat-compare-$state-$STAMP "$@"
done
python3 - "$STAMP" <<'PY'
import json, sys
stamp = sys.argv[1]
curves = {}
for state in ("dense", "coat"):
    rows = [json.loads(l) for l in open(f"runs/coat-compare-{state}-{stamp}/metrics.jsonl")]
    curves[state] = {r["step"]: r["val_loss"] for r in rows if "val_loss" in r}
print("step  dense_val_loss  coat_val_loss  rel_diff")
for step in sorted(curves["dense"]):
    d, c = curves["dense"][step], curves["coat"].get(step)
    print(f"{step:4d}  {d:14.4f}  {c:13.4f}  {100 * (c - d) / d:+7.2f}%")
PY
