#!/usr/bin/env bash
# accuracy.sh: the cross-dataset benchmark and the training-time comparison,
# in one script.
#
# Usage: bench/accuracy.sh [FLOWSENSE_BINARY]
#   FLOWSENSE_BINARY  default bin/flowsense (built with `go build` when absent)
#   FLOWSENSE_DATA    data dir, default ../shared/data relative to the repo root
#   SEEDS             flowsense training seeds, default 1-5
#   RUNS              timed runs of each side, default 3
#   TASKS             accuracy tasks, default all five
#   SKIP_ACCURACY=1   run part 2 only
#
# 1. /usr/bin/python3 bench/accuracy.py: every labelled set with random
#    forest, HistGradientBoosting (codes; native categorical on the KDD sets),
#    XGBoost hist 200 x depth 6 and flowsense at each seed, one thread each:
#    accuracy, macro-F1, fit seconds, process seconds, model bytes, and per
#    set the best peer, flowsense at the default seed and the spread over
#    the seeds.
# 2. Training time on NSL-KDD kdd5 and CIC-IDS2017, alternating RUNS times:
#    the XGBoost peer as a whole python process (`accuracy.py --time-xgb`:
#    read, encode, fit; nthread 1; its read_fit_s leaves out the interpreter
#    and imports) against a whole `flowsense train --threads 1` process
#    (read, train, evaluate, outlier detector, report, wasm), both timed by
#    bash's `time`. Prints medians and the ratio flowsense / XGBoost read+fit
#    (below 1: flowsense is faster), and each side's model size
#    (model.wasm, XGBoost's JSON model).
set -euo pipefail

PY=/usr/bin/python3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
SEEDS=${SEEDS:-1-5}

die() { echo "accuracy.sh: $*" >&2; exit 1; }

BIN=${1:-bin/flowsense}
if [[ $# -ge 1 && $BIN != /* ]]; then BIN="$PWD/$BIN"; fi
DATA=${FLOWSENSE_DATA:-$ROOT/../shared/data}
if [[ $DATA != /* ]]; then DATA="$PWD/$DATA"; fi
cd "$ROOT"
if [[ $BIN != /* ]]; then BIN="$ROOT/$BIN"; fi

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ -x $PY ]] || die "$PY not found: apt-get install python3-sklearn python3-xgboost python3-pandas"
for m in sklearn xgboost pandas; do
	"$PY" -c "import $m" 2>/dev/null || die "$m is missing for $PY: apt-get install python3-sklearn python3-xgboost python3-pandas"
done
if [[ ! -x $BIN ]]; then
	[[ $BIN == "$ROOT/bin/flowsense" ]] || die "flowsense binary $BIN not found"
	go build -o "$BIN" ./cmd/flowsense || die "go build failed"
fi
for f in nsl-kdd/KDDTrain+.txt.gz nsl-kdd/KDDTest+.txt.gz cicids2017/train.csv.gz cicids2017/test.csv.gz; do
	[[ -f $DATA/$f ]] || die "missing data file $DATA/$f (set FLOWSENSE_DATA)"
done

echo "flowsense: $BIN"
echo "machine:   nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1 /proc/loadavg)"
echo
if [[ -z ${SKIP_ACCURACY:-} ]]; then
	echo "## Accuracy (seeds $SEEDS)"
	echo
	"$PY" bench/accuracy.py "$DATA" --fs "$BIN" --seeds "$SEEDS" ${TASKS:+--tasks "$TASKS"}
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/accuracy.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TIMEFORMAT='%3R %3U %3S'
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
field() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

echo
echo "## Training time, one thread each ($RUNS alternating runs, medians)"
echo
echo "Wall seconds, and CPU seconds (user+sys: what a loaded machine does not inflate much)."
echo
echo "| set | XGBoost read+fit s (CPU) | XGBoost whole process s | flowsense train whole process s (CPU) | flowsense / XGBoost read+fit, wall (CPU) | model.wasm bytes | XGBoost JSON bytes | wasm / JSON |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for task in nsl-kdd/kdd5 cicids2017; do
	case $task in
	nsl-kdd/kdd5) args=(--data "$DATA/nsl-kdd/KDDTrain+.txt.gz" --test "$DATA/nsl-kdd/KDDTest+.txt.gz" --label-map kdd5) ;;
	cicids2017) args=(--data "$DATA/cicids2017/train.csv.gz" --test "$DATA/cicids2017/test.csv.gz") ;;
	esac
	XR=() XW=() FW=() XC=() FC=()
	for ((i = 1; i <= RUNS; i++)); do
		{ time OMP_NUM_THREADS=1 "$PY" bench/accuracy.py "$DATA" --time-xgb "$task" >"$WORK/x.out" 2>"$WORK/x.err"; } 2>"$WORK/x.time" ||
			{ cat "$WORK/x.err" >&2; die "XGBoost run on $task failed"; }
		XJ=$(tail -n 1 "$WORK/x.out")
		XR+=("$(field "$XJ" read_fit_s)")
		XC+=("$(field "$XJ" read_fit_cpu_s)")
		XW+=("$(awk '{ print $1 }' "$WORK/x.time")")
		rm -rf "$WORK/fs"
		{ time "$BIN" train "${args[@]}" --threads 1 --no-run --quiet --out "$WORK/fs" >"$WORK/f.out" 2>"$WORK/f.err"; } 2>"$WORK/f.time" ||
			{ cat "$WORK/f.out" "$WORK/f.err" >&2; die "flowsense train on $task failed"; }
		FW+=("$(awk '{ print $1 }' "$WORK/f.time")")
		FC+=("$(awk '{ printf "%.3f", $2 + $3 }' "$WORK/f.time")")
		echo "# $task run $i: XGBoost read+fit ${XR[-1]} s (CPU ${XC[-1]} s, process ${XW[-1]} s), flowsense ${FW[-1]} s (CPU ${FC[-1]} s)" >&2
	done
	wasm=$(stat -c %s "$WORK/fs/model.wasm")
	xjson=$(field "$XJ" json_bytes)
	xr=$(median "${XR[@]}") xw=$(median "${XW[@]}") fw=$(median "${FW[@]}") xc=$(median "${XC[@]}") fc=$(median "${FC[@]}")
	echo "| $task | $xr ($xc) | $xw | $fw ($fc) | $(ratio "$fw" "$xr") ($(ratio "$fc" "$xc")) | $wasm | $xjson | $(ratio "$wasm" "$xjson") |"
done
