#!/usr/bin/env bash
# mkmodel.sh FLOWSENSE OUT: makes the model embedded in the Knative function
# (model.wasm): 5,000 synthetic flows (flowsense gen, seed 1), 20 boosting
# rounds with the outlier detector, compiled to WebAssembly. FLOWSENSE is
# the flowsense binary (bin/flowsense), OUT where the module goes.
# make knative-model runs it; TestEmbeddedModelUpToDate runs it too and
# compares (every byte but the creation time and the model file's hash).
set -euo pipefail
bin=${1:?usage: mkmodel.sh FLOWSENSE OUT}
out=${2:?usage: mkmodel.sh FLOWSENSE OUT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" gen --rows 5000 --seed 1 --out "$tmp/flows.csv" 2>/dev/null
"$bin" train --data "$tmp/flows.csv" --rounds 20 --seed 1 --name flowsense-knative --quiet --no-run --out "$tmp/model" >/dev/null
cp "$tmp/model/model.wasm" "$out"
