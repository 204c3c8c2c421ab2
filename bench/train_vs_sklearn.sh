#!/usr/bin/env bash
# train_vs_sklearn.sh: whole-process training time of `flowsense train` against
# scikit-learn's HistGradientBoostingClassifier on NSL-KDD (kdd5 labels).
#
# Usage: bench/train_vs_sklearn.sh [FLOWSENSE_BINARY]
#   FLOWSENSE_BINARY  default bin/flowsense (relative to the repo root)
#   FLOWSENSE_DATA    data dir, default ../shared/data relative to the repo root
#   RUNS              runs of each side, default 3
#
# Runs /usr/bin/python3 bench/sklearn_train.py and
#   FLOWSENSE_BINARY train --data $DATA/nsl-kdd/KDDTrain+.txt.gz \
#     --test $DATA/nsl-kdd/KDDTest+.txt.gz --label-map kdd5 --out <tmpdir>
# alternately, RUNS times each, timing each whole process with bash's `time`
# (wall clock and user+system CPU, millisecond resolution), then prints a
# table and the ratios
#   flowsense median / sklearn whole-process median
#   flowsense median / sklearn fit-only median (fit_s from sklearn_train.py)
# A ratio below 1 means flowsense is faster. Exits non-zero if a run fails or a
# prerequisite is missing. Both sides share the machine: run it on an idle one
# (it warns when the load average exceeds nproc; scikit-learn's OpenMP threads
# slow down by far more than their fair share when the cores are oversubscribed).
set -euo pipefail

PY=/usr/bin/python3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}

die() { echo "train_vs_sklearn: $*" >&2; exit 1; }

# Resolve paths given relative to the caller's directory before moving to the root.
BIN=${1:-bin/flowsense}
if [[ $# -ge 1 && $BIN != /* ]]; then BIN="$PWD/$BIN"; fi
DATA=${FLOWSENSE_DATA:-$ROOT/../shared/data}
if [[ $DATA != /* ]]; then DATA="$PWD/$DATA"; fi
cd "$ROOT"
if [[ $BIN != /* ]]; then BIN="$ROOT/$BIN"; fi

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ -x $PY ]] || die "$PY not found (Debian python3 is needed: apt-get install python3-sklearn)"
"$PY" -c 'import sklearn' 2>/dev/null ||
	die "scikit-learn is missing for $PY: apt-get install python3-sklearn"
"$PY" -c 'import pandas' 2>/dev/null ||
	die "pandas is missing for $PY: apt-get install python3-pandas"
[[ -f $BIN && -x $BIN ]] || die "flowsense binary $BIN not found or not executable (build it first, or pass its path)"
for f in KDDTrain+.txt.gz KDDTest+.txt.gz Attack_Types.csv Field_Names.csv; do
	[[ -f $DATA/nsl-kdd/$f ]] || die "missing data file $DATA/nsl-kdd/$f (set FLOWSENSE_DATA)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/train_vs_sklearn.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

TIMEFORMAT='%3R %3U %3S'
# cpu_of FILE: user+system seconds from a TIMEFORMAT line.
cpu_of() { awk '{ printf "%.3f", $2 + $3 }' "$1"; }

# run_sklearn I: one whole python process; records wall seconds and fit_s.
run_sklearn() {
	local i=$1
	if ! { time FLOWSENSE_DATA="$DATA" "$PY" bench/sklearn_train.py "$DATA" >"$WORK/sk$i.out" 2>"$WORK/sk$i.err"; } 2>"$WORK/sk$i.time"; then
		cat "$WORK/sk$i.err" >&2
		die "sklearn run $i failed"
	fi
	SK_WALL[$i]=$(awk '{ print $1 }' "$WORK/sk$i.time")
	SK_CPU[$i]=$(cpu_of "$WORK/sk$i.time")
	SK_JSON[$i]=$(tail -n 1 "$WORK/sk$i.out")
	SK_FIT[$i]=$("$PY" -c 'import json,sys; print("%.3f" % json.loads(sys.argv[1])["fit_s"])' "${SK_JSON[$i]}") ||
		die "sklearn run $i printed no JSON line: ${SK_JSON[$i]}"
}

# run_flowsense I: one whole flowsense process writing into a fresh directory.
run_flowsense() {
	local i=$1 out="$WORK/fs$i"
	mkdir -p "$out"
	if ! { time "$BIN" train --data "$DATA/nsl-kdd/KDDTrain+.txt.gz" --test "$DATA/nsl-kdd/KDDTest+.txt.gz" \
		--label-map kdd5 --no-run --out "$out" >"$WORK/fs$i.out" 2>"$WORK/fs$i.err"; } 2>"$WORK/fs$i.time"; then
		cat "$WORK/fs$i.out" "$WORK/fs$i.err" >&2
		die "flowsense run $i failed: $BIN train ..."
	fi
	FS_WALL[$i]=$(awk '{ print $1 }' "$WORK/fs$i.time")
	FS_CPU[$i]=$(cpu_of "$WORK/fs$i.time")
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4g", a / b; else print "n/a" }'; }

declare -a SK_WALL SK_CPU SK_FIT SK_JSON FS_WALL FS_CPU
echo "flowsense: $BIN"
echo "sklearn:   $PY bench/sklearn_train.py ($("$PY" -c 'import sklearn; print("scikit-learn", sklearn.__version__)'))"
echo "data:      $DATA/nsl-kdd (KDDTrain+ -> KDDTest+, kdd5)"
echo "machine:   nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1 /proc/loadavg)"
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
	echo "warning: load average above nproc; wall-clock figures will be inflated by other jobs" >&2
fi
echo
for ((i = 1; i <= RUNS; i++)); do
	run_sklearn "$i"
	run_flowsense "$i"
	echo "run $i: sklearn ${SK_WALL[$i]} s (fit ${SK_FIT[$i]} s)  flowsense ${FS_WALL[$i]} s" >&2
done

SK_MED=$(median "${SK_WALL[@]}")
SKFIT_MED=$(median "${SK_FIT[@]}")
FS_MED=$(median "${FS_WALL[@]}")

SKCPU_MED=$(median "${SK_CPU[@]}")
FSCPU_MED=$(median "${FS_CPU[@]}")

echo "| run | sklearn whole process s | sklearn fit s | flowsense whole process s | sklearn CPU s | flowsense CPU s |"
echo "|---:|---:|---:|---:|---:|---:|"
for ((i = 1; i <= RUNS; i++)); do
	echo "| $i | ${SK_WALL[$i]} | ${SK_FIT[$i]} | ${FS_WALL[$i]} | ${SK_CPU[$i]} | ${FS_CPU[$i]} |"
done
echo "| median | $SK_MED | $SKFIT_MED | $FS_MED | $SKCPU_MED | $FSCPU_MED |"
echo
echo "ratio flowsense_median / sklearn_median (whole process vs whole process): $(ratio "$FS_MED" "$SK_MED")"
echo "ratio flowsense_median / sklearn_fit_median (whole process vs sklearn fit alone): $(ratio "$FS_MED" "$SKFIT_MED")"
echo "ratio of median CPU seconds, flowsense / sklearn (whole process, user+system): $(ratio "$FSCPU_MED" "$SKCPU_MED")"
echo
echo "last sklearn result: ${SK_JSON[$RUNS]}"
echo "last flowsense output (tail):"
tail -n 5 "$WORK/fs$RUNS.out" | sed 's/^/  /'
if [[ -s $WORK/fs$RUNS.err ]]; then tail -n 5 "$WORK/fs$RUNS.err" | sed 's/^/  stderr: /'; fi
