#!/usr/bin/env bash
# Spindle vs PyTorch training throughput on the same models and threads, in one run.
#
#   bench/run-comparison.sh [--steps N] [--flavors tiny,small,engine] [--no-build] [--engines]
#
# 1. installs python3-torch and libopenblas0-pthread if missing (Debian; needs root) and checks
#    that libblas.so.3, which Debian's torch uses, is OpenBLAS (the reference BLAS is ~25x slower);
# 2. builds the bench jar and its classpath if a source is newer than the jar (--no-build: use the
#    existing jar as it is, e.g. to measure one fixed build while others keep editing);
# 3. runs sgemm (ND4J and direct cblas), Spindle's ThroughputBench and bench/python/reference_lm.py
#    with 2 threads each, and prints a comparison table with model FLOPs utilization;
#    with --engines first also EngineComparison, the SameDiff / ComputationGraph / Spindle
#    step times of ADR 0001 (docs/adr/0001-compute-engine.md).
# Logs go to bench/target/comparison/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS=2
STEPS_ARGS=()
FLAVORS="tiny,small,engine"
BUILD=1
ENGINES=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS_ARGS=(--steps "$2"); shift 2 ;;
    --flavors) FLAVORS="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --engines) ENGINES=1; shift ;;
    *) echo "usage: bench/run-comparison.sh [--steps N] [--flavors tiny,small,engine] [--no-build] [--engines]" >&2
       exit 2 ;;
  esac
done

export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
PY=/usr/bin/python3
OUT="$ROOT/bench/target/comparison"
mkdir -p "$OUT"

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# --- 1. PyTorch with OpenBLAS ----------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for pkg in python3-torch libopenblas0-pthread; do installed "$pkg" || missing+=("$pkg"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "run-comparison.sh: ${missing[*]} missing and not root; install with: sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
else
  say "python3-torch and libopenblas0-pthread already installed"
fi
say "libblas.so.3 alternative (Debian's torch calls whatever this points at):"
update-alternatives --display libblas.so.3-x86_64-linux-gnu
if ! update-alternatives --query libblas.so.3-x86_64-linux-gnu | grep -q '^Value: .*openblas'; then
  echo "run-comparison.sh: libblas.so.3 does not point at OpenBLAS; PyTorch would run on the reference BLAS" >&2
  echo "  fix: update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3" >&2
  exit 2
fi

# --- 2. bench jar and classpath --------------------------------------------------------------
if [[ $BUILD -eq 0 ]]; then bench_jar --no-build; else bench_jar; fi
JAR="$BENCH_JAR"
JAVA=(java -Xmx4g -cp "$BENCH_CP")

# --- 3. measurements ---------------------------------------------------------------------------
say "revision: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo ' (working tree has uncommitted changes)'); jar built $(date -r "$JAR" '+%F %T')"
say "machine: $(nproc) cores; $(lscpu | grep 'Model name' | sed 's/ \+/ /g'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
java -version 2>&1 | head -1
if [[ $ENGINES -eq 1 ]]; then
  say "ADR 0001 engine comparison: SameDiff, ComputationGraph + custom layers, Spindle; $THREADS threads"
  # SameDiff logs every differentiated op at INFO; keep the log, print the results
  measured engines "${JAVA[@]}" io.spindle.bench.EngineComparison "${STEPS_ARGS[@]}" > "$OUT/engines.txt" 2>&1
  grep -E '^(==|ENV|shape|RESULT|OPS|GRADS|UPDATER|NOTE|engine|\([abc]\))' "$OUT/engines.txt"
fi
say "sgemm (ND4J and direct cblas_sgemm), $THREADS threads"
measured sgemm "${JAVA[@]}" io.spindle.bench.Sgemm > "$OUT/sgemm-java.txt"
cat "$OUT/sgemm-java.txt"
say "Spindle TransformerLM + AdamW ($FLAVORS), $THREADS threads"
measured spindle "${JAVA[@]}" io.spindle.bench.ThroughputBench --flavors "$FLAVORS" "${STEPS_ARGS[@]}" > "$OUT/spindle.txt"
cat "$OUT/spindle.txt"
say "PyTorch reference ($FLAVORS), $THREADS threads"
measured pytorch "$PY" "$ROOT/bench/python/reference_lm.py" --threads $THREADS --flavors "$FLAVORS" "${STEPS_ARGS[@]}" \
  --sgemm > "$OUT/pytorch.txt"
cat "$OUT/pytorch.txt"
say "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 4. table ----------------------------------------------------------------------------------
"$PY" - "$OUT/sgemm-java.txt" "$OUT/spindle.txt" "$OUT/pytorch.txt" <<'PYEOF'
import sys

def results(path, kind):
    rows = []
    for line in open(path):
        parts = line.split()
        if len(parts) > 2 and parts[0] == "RESULT" and parts[1] == kind:
            rows.append(dict(p.split("=", 1) for p in parts[2:]))
    return rows

sgemm = results(sys.argv[1], "sgemm") + results(sys.argv[3], "sgemm")
peak = {(r["path"], int(r["n"])): float(r["gflops_median"]) for r in sgemm}
# the machine's achievable fp32 matmul rate: the best median over every path and size measured
denominator = max(peak.values())
best_path, best_n = max(peak, key=peak.get)
spindle = {r["flavor"]: r for r in results(sys.argv[2], "throughput")}
torch = {r["flavor"]: r for r in results(sys.argv[3], "throughput")}

print()
print("sgemm GFLOP/s (median), 2 threads")
print(f"{'n':>6} {'ND4J gemm':>10} {'cblas':>10} {'torch mm':>10}")
for n in (512, 1024, 2048):
    print(f"{n:>6} " + " ".join(f"{peak.get((p, n), float('nan')):>10.1f}" for p in ("nd4j", "cblas", "torch")))
print()
print(f"MFU = tokens/s x train FLOPs/token (6 x matmul params + 12 x layers x d x T) / {denominator:.1f} GFLOP/s "
      f"(best sgemm median above: {best_path} at {best_n}^3)")
print(f"{'flavor':<7} {'Spindle tok/s':>13} {'PyTorch tok/s':>13} {'ratio':>6} {'Spindle ms':>10} {'PyTorch ms':>10} "
      f"{'Spindle MFU':>11} {'PyTorch MFU':>11}")
for name, s in spindle.items():
    t = torch.get(name)
    if t is None:
        continue
    st, tt = float(s["tokens_per_s"]), float(t["tokens_per_s"])
    mfu = lambda r, tps: tps * float(r["train_gflop_per_token"]) / denominator
    print(f"{name:<7} {st:>13.0f} {tt:>13.0f} {st / tt:>6.2f} {float(s['ms_median']):>10.1f} "
          f"{float(t['ms_median']):>10.1f} {mfu(s, st):>10.1%} {mfu(t, tt):>10.1%}")
PYEOF
