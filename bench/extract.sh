#!/usr/bin/env bash
# extract.sh: whole-process throughput of `flowsense extract` against tshark
# and Argus, on the same 10-million-packet file, side by side.
#
# Usage: bench/extract.sh [FLOWSENSE_BINARY]
#   FLOWSENSE_BINARY  default bin/flowsense (relative to the repo root)
#   FLOWSENSE_DATA    data dir, default ../shared/data relative to the repo root
#   BENCH_DIR         where the 10 M-packet file is built and kept (760 MB),
#                     default ${TMPDIR:-/tmp}/flowsense-bench
#   RUNS              runs of flowsense, default 3 (tshark and Argus run once:
#                     tshark takes minutes)
#   SKIP_TSHARK=1     leave tshark out (it takes about 6 minutes here)
#
# The file is the StopDDoS spoofed SYN flood (37,841 packets, 23.7 s) copied
# 265 times with editcap -t, each copy 24 s after the one before, joined with
# mergecap -a: 10,027,865 packets over 6,360 s; a 5-tuple recurs every 24 s,
# so a flow holds about five packets before its 120 s timeout (1.7 M flows).
#
# Each tool does the job of turning the packets into flows:
#   flowsense extract --pcap FILE > /dev/null   (the CSV of 1.7 M flows)
#   tshark -n -r FILE -q -z conv,tcp            (its TCP conversation table)
#   argus -X -r FILE -w OUT                     (Argus flow records)
# flowsense runs with GOMAXPROCS=1: one core. Times are the whole process
# (bash's `time`: wall clock and user+system CPU); packets/s is 10,027,865
# divided by each. The machine is shared: wall times swing with other load,
# CPU times less; the script prints the load average first.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
die() { echo "extract.sh: $*" >&2; exit 1; }

BIN=${1:-bin/flowsense}
if [[ $# -ge 1 && $BIN != /* ]]; then BIN="$PWD/$BIN"; fi
DATA=${FLOWSENSE_DATA:-$ROOT/../shared/data}
if [[ $DATA != /* ]]; then DATA="$PWD/$DATA"; fi
cd "$ROOT"
if [[ $BIN != /* ]]; then BIN="$ROOT/$BIN"; fi

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ -x $BIN ]] || die "$BIN not found: run make build"
for t in editcap mergecap tshark; do
	command -v $t >/dev/null || die "$t not found: apt-get install -y tshark"
done
command -v argus >/dev/null || die "argus not found: apt-get install -y argus-server"
SRC=$DATA/pcap/captures/stopddos-tcp-synflood-spoofed.pcap.gz
[[ -f $SRC ]] || die "$SRC not found: set FLOWSENSE_DATA to the shared datasets directory"

DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/flowsense-bench}
FILE=$DIR/synflood-10m.pcap
PACKETS=10027865
mkdir -p "$DIR"
if [[ ! -f $FILE ]]; then
	echo "building $FILE ..." >&2
	work=$(mktemp -d "$DIR/parts.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	zcat "$SRC" > "$work/one.pcap"
	parts=()
	for i in $(seq 0 264); do
		editcap -F pcap -t $((i * 24)) "$work/one.pcap" "$work/p$i.pcap"
		parts+=("$work/p$i.pcap")
	done
	mergecap -F pcap -a -w "$FILE.tmp" "${parts[@]}"
	mv "$FILE.tmp" "$FILE"
	rm -rf "$work"
	trap - EXIT
fi
n=$(capinfos -c -M "$FILE" | awk '/Number of packets/ {print $NF}')
[[ $n == "$PACKETS" ]] || die "$FILE has $n packets, want $PACKETS (delete it to rebuild)"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "file: $FILE, $PACKETS packets, $(du -mL "$FILE" | cut -f1) MB"

# timed LABEL CMD...: runs CMD, records wall and user+sys seconds in W and C.
timed() {
	local label=$1
	shift
	local TIMEFORMAT='%R %U %S'
	local t
	t=$({ time "$@" > /dev/null 2> "$DIR/stderr.txt"; } 2>&1) || { cat "$DIR/stderr.txt" >&2; die "$label failed"; }
	read -r W u s <<< "$t"
	C=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
}

rate() { awk -v n=$PACKETS -v t="$1" 'BEGIN {printf "%10.0f", n / t}'; }

printf '\n%-34s %8s %8s %14s %14s\n' tool "wall s" "cpu s" "packets/s wall" "packets/s cpu"
row() { printf '%-34s %8s %8s %14s %14s\n' "$1" "$2" "$3" "$(rate "$2")" "$(rate "$3")"; }

walls=() cpus=()
for r in $(seq 1 "$RUNS"); do
	timed flowsense env GOMAXPROCS=1 "$BIN" extract --pcap "$FILE"
	row "flowsense extract (1 core) #$r" "$W" "$C"
	walls+=("$W") cpus+=("$C")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mw=$(median "${walls[@]}") mc=$(median "${cpus[@]}")
row "flowsense extract, median" "$mw" "$mc"
grep -o 'extracted [0-9]* flows' "$DIR/stderr.txt" | sed 's/^/  flowsense: /'

timed argus argus -X -r "$FILE" -w "$DIR/out.argus"
rm -f "$DIR/out.argus"
row "argus -r (flow records)" "$W" "$C"
aw=$W

if [[ ${SKIP_TSHARK:-} != 1 ]]; then
	timed tshark tshark -n -r "$FILE" -q -z conv,tcp
	row "tshark -z conv,tcp" "$W" "$C"
	tw=$W
	echo
	awk -v f="$mw" -v t="$tw" -v a="$aw" 'BEGIN {printf "flowsense is %.1fx tshark and %.1fx argus (wall clock, flowsense median)\n", t / f, a / f}'
else
	echo
	awk -v f="$mw" -v a="$aw" 'BEGIN {printf "flowsense is %.1fx argus (wall clock, flowsense median)\n", a / f}'
fi
