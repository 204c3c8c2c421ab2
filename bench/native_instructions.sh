#!/bin/bash
# Instructions per flow of the native predictor (the reference
# (*model.Model).Predict, the compiled model.Predictor one flow per call and
# in batches of 256) beside the module (one flow per call, batches of
# MaxBatch), on the NSL-KDD and CIC-IDS2017 shapes of wasm/host's
# benchmarks, counted by valgrind's callgrind as bench/instructions.sh
# does: the difference between two op counts, so set-up cost cancels.
# Needs valgrind. Usage: bench/native_instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "native_instructions.sh: valgrind not found: apt-get install valgrind" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/wasm.test" ./wasm/host/
count() { # count BENCH N: instructions of the whole process
	GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --smc-check=all-non-file \
		--callgrind-out-file="$tmp/cg.out" "$tmp/wasm.test" -test.run '^$' -test.bench "^$1\$" -test.benchtime "$2x" 2>&1 |
		awk '/Collected/ {print $4}'
}
maxbatch=256 # abi.DefaultMaxBatch: both shapes' rows fit
printf '%-40s %12s\n' benchmark instr/flow
# name, flows per op, ops (low), ops (high)
while read -r name per lo hi; do
	a=$(count "$name" "$lo")
	b=$(count "$name" "$hi")
	printf '%-40s %12d\n' "$name" $(( (b - a) / ((hi - lo) * per) ))
done <<LIST
BenchmarkOneFlow_KDDShape_native 1 500 1500
BenchmarkPredictor_KDDShape 256 2 6
BenchmarkPredictor_KDDShape_batch 256 2 6
BenchmarkOneFlow_KDDShape_wasm 1 500 1500
BenchmarkBatch_KDDShape $maxbatch 2 6
BenchmarkOneFlow_CICShape_native 1 500 1500
BenchmarkPredictor_CICShape 256 2 6
BenchmarkPredictor_CICShape_batch 256 2 6
BenchmarkOneFlow_CICShape_wasm 1 500 1500
BenchmarkBatch_CICShape $maxbatch 2 6
LIST
