#!/bin/bash
# Batched prediction against XGBoost's own predictor on the identical
# trees: bench/xgb_batch.py trains XGBoost on CIC-IDS2017 and times its
# inplace_predict (nthread 1, batches of 256 and the whole test set), then
# `flowsense import xgboost` reads the same JSON and
# BenchmarkXGBoostImported times the module (GOMAXPROCS=1, batches of 256,
# trees as code, node tables and the top tier interleaved) on the same
# float32 rows.
# Prints both and the ratios. Needs Debian's python3-xgboost and
# python3-pandas. Usage: bench/xgb_batch.sh [bin/flowsense] (ROUNDS, DEPTH)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/flowsense}
[ -x "$bin" ] || { echo "xgb_batch.sh: $bin not found: make build" >&2; exit 2; }
/usr/bin/python3 -c 'import xgboost, pandas' 2>/dev/null || { echo "xgb_batch.sh: apt-get install python3-xgboost python3-pandas" >&2; exit 2; }
data=${FLOWSENSE_DATA:-$(cd .. && pwd)/shared/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xgb=$(/usr/bin/python3 bench/xgb_batch.py "$tmp" "$data" --rounds "${ROUNDS:-20}" --depth "${DEPTH:-5}")
"$bin" import xgboost "$tmp/xgb.json" --out "$tmp/model" >/dev/null
fs=$(FLOWSENSE_XGB_DIR=$tmp GOMAXPROCS=1 go test -tags realdata -run '^$' -bench '^BenchmarkXGBoostImported$' -benchtime 2s ./wasm/host/ | grep '^BenchmarkXGBoostImported')
code=$(echo "$fs" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "code-flows/s") print $i}')
tables=$(echo "$fs" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "tables-flows/s") print $i}')
top=$(echo "$fs" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "top-flows/s") print $i}')
x256=$(echo "$xgb" | sed 's/.*"xgb_batch256_flows_s": \([0-9]*\).*/\1/')
xall=$(echo "$xgb" | sed 's/.*"xgb_whole_flows_s": \([0-9]*\).*/\1/')
echo "$xgb"
printf '%-40s %12s\n' "predictor (one core)" "flows/s"
printf '%-40s %12.0f\n' "XGBoost inplace_predict, 256 a call" "$x256" "XGBoost inplace_predict, whole set" "$xall" \
	"flowsense module, trees as code, 256" "$code" "flowsense module, node tables, 256" "$tables" \
	"flowsense top tier (TopTier), 256" "$top"
awk -v c="$code" -v t="$tables" -v p="$top" -v x="$x256" -v w="$xall" 'BEGIN {
	printf "module (code) / XGBoost 256: %.2fx; / XGBoost whole set: %.2fx; module (tables) / XGBoost 256: %.2fx\n", c / x, c / w, t / x
	printf "top tier / XGBoost 256: %.2fx; / XGBoost whole set: %.2fx\n", p / x, p / w }'
