#!/bin/bash
# Instructions per flow of a straight-line C implementation of the
# benchmark shapes' models (wasm/host's KDDShape and CICShape: 100 trees of
# depth 5, the detector on every numeric feature), the reference the
# module is measured against (bench/instructions.sh). TestWriteBenchModels
# writes each model.json and its 1,024 rows; bench/cref writes the C (trees
# as if/else, raw scores and detector in double, libm's exp and log1p) and
# the native predictor's answers; gcc compiles it (below); the C program's
# answers must be the native predictor's (same class, score within 1e-9
# relative) or the script fails; callgrind counts the difference between
# 10,000 and 30,000 flows, divided by 20,000, so set-up cost cancels.
# Needs gcc and valgrind. Usage: bench/c_reference.sh [DIR] (DIR keeps
# the models, C files and binaries; a temporary directory otherwise).
# Prints one "SHAPE instr/flow" line per shape.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in gcc valgrind; do
	command -v $tool >/dev/null || { echo "c_reference.sh: $tool not found: apt-get install $tool" >&2; exit 2; }
done
dir=${1:-}
if [ -z "$dir" ]; then
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
go test -count=1 -run '^TestWriteBenchModels$' ./wasm/host -args -bench-models "$dir" >/dev/null
go build -o "$dir/cref" ./bench/cref
count() { # count BIN ROWS N: instructions of the whole process
	valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$1" "$2" "$3" 2>&1 | awk '/Collected/ {print $4}'
}
# The C is compiled twice, gcc -O2 and gcc -O3 -mavx2 (what the issue's
# C figures used: the vectorised detector), and the fewer instructions of
# the two is the reference: the kinder C for the module to be measured
# against. Prints "SHAPE instr/flow flags" (the flags of the fewer).
flagsets=("-O2" "-O3 -mavx2")
for s in KDDShape CICShape; do
	"$dir/cref" -model "$dir/$s.json" -out "$dir/$s.c" -rows "$dir/$s.rows" -expect "$dir/$s.expect"
	best= bestflags=
	for i in "${!flagsets[@]}"; do
		flags=${flagsets[$i]}
		bin="$dir/$s.$i"
		# shellcheck disable=SC2086 # the flags are words
		gcc $flags -o "$bin" "$dir/$s.c" -lm
		"$bin" "$dir/$s.rows" check | paste -d' ' "$dir/$s.expect" - | awk -v s="$s ($flags)" '
			{ if ($1 != $3) bad++; r = ($2 - $4) / ($2 == 0 ? 1 : $2); if (r < 0) r = -r; if (r > 1e-9) bad++ }
			END { if (bad) { print "c_reference.sh: " s ": the C answers differ from the native predictor on " bad " rows" > "/dev/stderr"; exit 1 } }'
		a=$(count "$bin" "$dir/$s.rows" 10000)
		b=$(count "$bin" "$dir/$s.rows" 30000)
		[[ -n $a && -n $b ]] || { echo "c_reference.sh: $s ($flags): callgrind counted nothing" >&2; exit 1; }
		n=$(( (b - a) / 20000 ))
		echo "# $s gcc $flags: $n instructions a flow" >&2
		if [[ -z $best ]] || (( n < best )); then best=$n bestflags=$flags; fi
	done
	printf '%s %d %s\n' "$s" "$best" "${bestflags// /_}"
done
