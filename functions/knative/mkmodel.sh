#!/usr/bin/env bash
# mkmodel.sh FLOWSENSE OUT: makes the model embedded in the Knative function
# (model.wasm): the model `make run` trains and serves, made by the same
# make target (make model: 50,000 flows of flowsense gen --seed 1, trained
# with the defaults, named flowsense-synthetic) in a temporary directory.
# FLOWSENSE is where the flowsense binary goes (make model builds it), OUT
# where the module goes. make knative-model runs it; TestEmbeddedModelUpToDate
# runs it too and compares (every byte but the creation time and the model
# file's hash).
set -euo pipefail
bin=${1:?usage: mkmodel.sh FLOWSENSE OUT}
out=${2:?usage: mkmodel.sh FLOWSENSE OUT}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! FLOWSENSE_RUNS="$tmp/runs" make -s --no-print-directory -C "$root" model \
    BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" \
    BUNDLED="$tmp/data/flows.csv" MODEL_DIR="$tmp/out/model" >"$tmp/log" 2>&1; then
  cat "$tmp/log" >&2
  echo "mkmodel.sh: make model failed" >&2
  exit 1
fi
cp "$tmp/out/model/model.wasm" "$out"
