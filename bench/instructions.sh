#!/bin/bash
# Instructions per flow of the module's parts (wasm BenchmarkOneFlowParts),
# counted by valgrind's callgrind: the difference between 1,000 and 3,000
# calls, divided by 2,000, so set-up cost cancels. Unlike time, the count
# does not depend on the machine's load (two runs give the same figures).
# Then the top tier against the default module and the C reference
# (bench/c_reference.sh) on the full benchmark shapes (100 trees,
# BenchmarkTopTierFlow): per flow, the whole Classify call (host and
# module) and the module's own code (what callgrind finds in no object
# file: the code wazero compiled), and their ratios to C.
# Needs valgrind and gcc (apt-get install valgrind gcc).
# Usage: bench/instructions.sh [REGEXP on the parts' names; one matching none
# (e.g. NONE) prints the comparison with C alone]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind not found: apt-get install valgrind" >&2; exit 2; }
pattern=${1:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/wasm.test" ./wasm/host/
parts=$("$tmp/wasm.test" -test.run '^$' -test.bench OneFlowParts -test.benchtime 1x | awk '/^BenchmarkOneFlowParts/ {sub(/-[0-9]+$/, "", $1); print $1}' | grep -E -- "$pattern" || true)
count() { # count SUB N: instructions of the whole process
	GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --smc-check=all-non-file \
		--callgrind-out-file="$tmp/cg.out" "$tmp/wasm.test" -test.run '^$' -test.bench "$1" -test.benchtime "$2x" 2>&1 |
		awk '/Collected/ {print $4}'
}
if [ -n "$parts" ]; then printf '%-45s %12s\n' benchmark instr/flow; fi
for p in $parts; do
	# anchor every level: -test.bench matches each level of a/b/c apart
	sub="^$(echo "$p" | sed 's|/|$/^|g')\$"
	a=$(count "$sub" 1000)
	b=$(count "$sub" 3000)
	printf '%-45s %12d\n' "$p" $(( (b - a) / 2000 ))
done

# the top tier, the default module and C
jit() { # jit SUB N: instructions of the whole process, then of the JIT code
	GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --smc-check=all-non-file \
		--callgrind-out-file="$tmp/cg.out" "$tmp/wasm.test" -test.run '^$' -test.bench "$1" -test.benchtime "$2x" >/dev/null 2>&1
	callgrind_annotate --threshold=100 "$tmp/cg.out" 2>/dev/null | awk '
		/PROGRAM TOTALS/ {gsub(",", "", $1); total = $1}
		/\?\?\?:0x/ && !/=>/ {gsub(",", "", $1); jit += $1}
		END {print total, jit}'
}
bench/c_reference.sh "$tmp/c" >"$tmp/c.txt"
echo
printf '%-9s %-8s %12s %12s %12s %12s %12s\n' shape tier call/flow module/flow C/flow call/C module/C
for s in KDDShape CICShape; do
	c=$(awk -v s="$s" '$1 == s {print $2}' "$tmp/c.txt")
	for tier in default top; do
		sub="^BenchmarkTopTierFlow\$/^$s\$/^$tier\$"
		read -r ta ja < <(jit "$sub" 1000)
		read -r tb jb < <(jit "$sub" 3000)
		call=$(( (tb - ta) / 2000 ))
		mod=$(( (jb - ja) / 2000 ))
		printf '%-9s %-8s %12d %12d %12d %12s %12s\n' "$s" "$tier" "$call" "$mod" "$c" \
			"$(awk -v a="$call" -v c="$c" 'BEGIN {printf "%.2f", a / c}')" "$(awk -v a="$mod" -v c="$c" 'BEGIN {printf "%.2f", a / c}')"
	done
done
