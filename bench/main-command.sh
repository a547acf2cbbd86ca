#!/usr/bin/env bash
# Times the README's main command (bin/spindle train conf/tiny.conf) end to end and prints its
# first and final validation loss from metrics.jsonl. The build is done first and timed apart,
# so the wall time is the command a user runs once Spindle is built.
# Usage: bench/main-command.sh [extra bin/spindle args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NAME="bench-main-$(date +%Y%m%d-%H%M%S)"
build_start=$(date +%s.%N)
bin/spindle conformance --help >/dev/null   # builds on first use
build_end=$(date +%s.%N)
echo "build (or up-to-date check): $(awk -v a="$build_start" -v b="$build_end" 'BEGIN{printf "%.1f", b-a}') s"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
bin/spindle train conf/tiny.conf --set run.name="$NAME" "$@"
end=$(date +%s.%N)
metrics="runs/$NAME/metrics.jsonl"
first=$(grep -m1 '"val_loss"' "$metrics" | sed -E 's/.*"val_loss":([0-9.eE+-]+).*/\1/')
final=$(grep '"val_loss"' "$metrics" | tail -1 | sed -E 's/.*"val_loss":([0-9.eE+-]+).*/\1/')
tps=$(grep '"tokens_per_s"' "$metrics" | sed -E 's/.*"tokens_per_s":([0-9.eE+-]+).*/\1/' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
echo
echo "main command wall time: $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s"
echo "validation loss: first $first, final $final nats/token"
echo "median training tokens/s: $tps"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
