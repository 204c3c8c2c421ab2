#!/usr/bin/env bash
# train_memory.sh: peak memory and time of a whole `flowsense train` process
# against the number of rows, at CIC-IDS2017 width (issue 14, training memory).
#
# Usage: bench/train_memory.sh [FLOWSENSE_BINARY]
#   FLOWSENSE_BINARY  default bin/flowsense (relative to the repo root)
#   ROWS              row counts, default "100000 1000000 10000000"
#   EXTRA             derived columns appended to `flowsense gen`'s 41 features,
#                     default 37 (78 features, the width of CIC-IDS2017's 78-84)
#   ROUNDS            --rounds of every run, default 40 (see below)
#   KEEP              a directory to keep (and reuse) the generated CSVs in;
#                     default: a temporary directory, removed at exit
#   TRAIN_ARGS        more options for flowsense train
#
# For each row count N it writes `flowsense gen --rows N --seed 1`, widened by
# bench/widen.awk to 78 features (6 classes, 70 % BENIGN), then runs
#   nice FLOWSENSE_BINARY train --data FILE --out DIR --no-run --quiet --rounds ROUNDS
# under /usr/bin/time -v (every other option at its default: the 25 % test
# hold-out, the 10 % validation split, early stopping, class weighting chosen on
# the validation split, the refit, the Mahalanobis detector) and prints peak
# RSS (bytes a row, and a row and feature) and user+system CPU seconds (us a
# row and round). ROUNDS caps boosting so the runs do comparable work: with
# early stopping the rounds trained depend on the data; the memory does not
# depend on the rounds but through the trees kept. Last it prints the
# marginal cost between the two largest runs, (RSS_b - RSS_a) / (N_b - N_a),
# which the fixed part (binary, runtime, buffers) does not enter, and the
# least-squares fit RSS = a + b * rows over every run, with b against the
# bar of issue 14 (2 bytes a row and feature, 2 * feats a row).
# CPU time, not wall time, is the linear measure on a shared machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "train_memory: $*" >&2; exit 1; }

BIN=${1:-bin/flowsense}
if [[ $# -ge 1 && $BIN != /* ]]; then BIN="$PWD/$BIN"; fi
if [[ -n ${KEEP:-} && $KEEP != /* ]]; then KEEP="$PWD/$KEEP"; fi
cd "$ROOT"
if [[ $BIN != /* ]]; then BIN="$ROOT/$BIN"; fi
ROWS=${ROWS:-100000 1000000 10000000}
EXTRA=${EXTRA:-37}
ROUNDS=${ROUNDS:-40}

[[ -f $BIN && -x $BIN ]] || die "flowsense binary $BIN not found or not executable (build it first, or pass its path)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: apt-get install time"
[[ $EXTRA =~ ^[0-9]+$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "EXTRA and ROUNDS must be integers"
for n in $ROWS; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "ROWS must be positive integers, got '$n'"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/train_memory.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DATA=${KEEP:-$WORK}
mkdir -p "$DATA"

printf '%-10s %-5s %-10s %-10s %-12s %-10s %-14s %-8s %s\n' rows feats rss_MB B/row B/row/feat cpu_s us/row/round wall_s accuracy
prev_n= prev_rss=
fit=
for n in $ROWS; do
	csv="$DATA/gen-$n-w$EXTRA.csv"
	if [[ ! -s $csv ]]; then
		nice "$BIN" gen --rows "$n" --seed 1 | nice awk -v EXTRA="$EXTRA" -f bench/widen.awk >"$csv.tmp" ||
			die "generating $n rows failed"
		mv "$csv.tmp" "$csv"
	fi
	feats=$(( $(head -n 1 "$csv" | awk -F, '{ print NF }') - 7 )) # 6 identifiers and the label
	out="$WORK/out-$n"
	# shellcheck disable=SC2086
	if ! /usr/bin/time -v -o "$WORK/time-$n" nice "$BIN" train --data "$csv" --out "$out" --no-run --quiet \
		--rounds "$ROUNDS" ${TRAIN_ARGS:-} >"$WORK/train-$n.out" 2>"$WORK/train-$n.err"; then
		cat "$WORK/train-$n.err" "$WORK/time-$n" >&2
		die "train on $n rows failed"
	fi
	rss_kb=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$WORK/time-$n")
	cpu=$(awk -F: '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$WORK/time-$n")
	wall=$(awk '/Elapsed \(wall clock\)/ { t = $NF; n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$WORK/time-$n")
	acc=$(awk '/^accuracy/ { print $2 }' "$WORK/train-$n.out")
	awk -v n="$n" -v f="$feats" -v kb="$rss_kb" -v cpu="$cpu" -v wall="$wall" -v r="$ROUNDS" -v acc="$acc" 'BEGIN {
		b = kb * 1024
		printf "%-10d %-5d %-10.1f %-10.1f %-12.2f %-10.2f %-14.3f %-8s %s\n", n, f, b / 1e6, b / n, b / n / f, cpu, cpu / n / r * 1e6, wall, acc }'
	if [[ -n $prev_n ]]; then
		last="$prev_n $prev_rss $n $rss_kb $feats"
	fi
	prev_n=$n prev_rss=$rss_kb
	fit="$fit $n $rss_kb $feats"
done
if [[ -n ${last:-} ]]; then
	awk -v s="$last" 'BEGIN { split(s, a, " "); d = (a[4] - a[2]) * 1024 / (a[3] - a[1]); fixed = a[2] * 1024 - d * a[1]
		printf "marginal: %.1f bytes a row (%.2f a row and feature) between %d and %d rows; fixed part %.0f MB\n", d, d / a[5], a[1], a[3], fixed / 1e6 }'
fi
if [[ $(wc -w <<<"$fit") -ge 6 ]]; then
	awk -v s="$fit" 'BEGIN { k = split(s, a, " "); m = k / 3
		for (i = 0; i < m; i++) { x = a[3*i+1]; y = a[3*i+2] * 1024; f = a[3*i+3]; sx += x; sy += y; sxx += x * x; sxy += x * y }
		b = (m * sxy - sx * sy) / (m * sxx - sx * sx); c = (sy - b * sx) / m
		printf "fit over %d runs: RSS = %.0f MB + %.1f bytes a row (%.2f a row and feature; the bar is %d, 2 a feature)\n", m, c / 1e6, b, b / f, 2 * f }'
fi
