#!/bin/bash
# Instructions per flow of the module's parts (wasm BenchmarkOneFlowParts),
# counted by valgrind's callgrind: the difference between 1,000 and 3,000
# calls, divided by 2,000, so set-up cost cancels. Unlike time, the count
# does not depend on the machine's load (two runs give the same figures).
# Needs valgrind (apt-get install valgrind). Usage: bench/instructions.sh [REGEXP on the benchmark names]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind not found: apt-get install valgrind" >&2; exit 2; }
pattern=${1:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/wasm.test" ./wasm/host/
parts=$("$tmp/wasm.test" -test.run '^$' -test.bench OneFlowParts -test.benchtime 1x | awk '/^BenchmarkOneFlowParts/ {sub(/-[0-9]+$/, "", $1); print $1}' | grep -E -- "$pattern")
count() { # count SUB N: instructions of the whole process
	GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --smc-check=all-non-file \
		--callgrind-out-file="$tmp/cg.out" "$tmp/wasm.test" -test.run '^$' -test.bench "$1" -test.benchtime "$2x" 2>&1 |
		awk '/Collected/ {print $4}'
}
printf '%-45s %12s\n' benchmark instr/flow
for p in $parts; do
	# anchor every level: -test.bench matches each level of a/b/c apart
	sub="^$(echo "$p" | sed 's|/|$/^|g')\$"
	a=$(count "$sub" 1000)
	b=$(count "$sub" 3000)
	printf '%-45s %12d\n' "$p" $(( (b - a) / 2000 ))
done
