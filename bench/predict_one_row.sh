#!/usr/bin/env bash
# Times a whole `flowsense predict` process on a one-row file (wasm engine:
# read the module, compile it with wazero, classify, write CSV) against the
# bare start-up of the same binary (`flowsense version`) in the same run.
# Usage: bench/predict_one_row.sh [BIN] [MODEL_DIR_OR_WASM DATA_FILE]
# Without a model, trains a small one on generated flows first.
set -euo pipefail
BIN=${1:-bin/flowsense}
RUNS=${RUNS:-30}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $# -ge 3 ]; then
  MODEL=$2; DATA=$3
else
  "$BIN" gen --rows 5000 --seed 1 --out "$tmp/flows.csv" 2>/dev/null
  "$BIN" train --data "$tmp/flows.csv" --out "$tmp/model" --quiet >/dev/null
  MODEL=$tmp/model/model.wasm
  DATA=$tmp/flows.csv
fi
# One data row: the first line of a gzip (KDD files have no header), or a
# CSV header and its first row. zcat stops early on SIGPIPE: not an error.
case "$DATA" in
  *.gz) { zcat "$DATA" || true; } | head -1 > "$tmp/one.csv" ;;
  *) head -2 "$DATA" > "$tmp/one.csv" ;;
esac
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
pred=(); base=()
for _ in $(seq "$RUNS"); do
  pred+=("$(ms "$BIN" predict --model "$MODEL" --data "$tmp/one.csv")")
  base+=("$(ms "$BIN" version)")
done
p=$(printf '%s\n' "${pred[@]}" | median); b=$(printf '%s\n' "${base[@]}" | median)
awk -v p="$p" -v b="$b" -v m="$MODEL" 'BEGIN {
  printf "model %s\none-row predict process: median %.1f ms (target <= 20 ms)\nbare process start (flowsense version): median %.1f ms\nratio predict / start: %.2f\n", m, p/1000, b/1000, p/b }'
