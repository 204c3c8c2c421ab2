#!/usr/bin/env bash
# bench/soak.sh: a bounded soak of `flowsense serve` (issue 11), run by
# `make bench-soak`. SOAK_DURATION seconds (600) of wrk (-t2 -c16) in 10 s
# slices (wrk's request timeout 15 s: beyond serve's 10 s and the 1 s
# admission wait, so a socket error is a real one) against one serve
# process on the Knative function's model,
# mixing one-flow JSON, 100-flow JSON and CSV uploads with 5 % hostile
# requests (bench/wrk/soak.lua). Prints per slice: requests/s, p50/p99 ms,
# answers by status, flows answered and serve's RSS; at the end the peak
# RSS and whether every answered flow is counted in
# flowsense_predictions_total (beyond them, only the flows of the requests
# wrk abandons at the end of a slice). Exits 1 on a 5xx other than 503, a socket
# error, or a flow count that disagrees.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk jq python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/soak.sh: $tool not found: apt-get install $tool" >&2; exit 1; }
done
DURATION=${SOAK_DURATION:-600}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/flowsense" ./cmd/flowsense
model=functions/knative/model.wasm
body() { awk 'f{print} /^\r?$/{f=1}' "functions/testdata/behaviour/$1.req"; }
body predict_object > "$tmp/one.json"
body predict_array | jq -c '[limit(100; repeat(.[]))]' > "$tmp/batch100.json"
"$tmp/flowsense" gen --rows 100 --seed 11 --out "$tmp/rows100.csv" >/dev/null
python3 - "$tmp" <<'PY'
import gzip, json, sys
d = sys.argv[1]
header = open(d + "/rows100.csv").readline()
open(d + "/bomb.csv.gz", "wb").write(gzip.compress((header + "\n" * (64 << 20)).encode(), 9))
open(d + "/wide.json", "w").write(json.dumps({"k%d" % i: 0 for i in range(100000)}))
open(d + "/columns.csv", "w").write("x," * 200000 + "y\n1\n")
open(d + "/unknown.json", "w").write(json.dumps({"Colour": "red", "Flavour": 1}))
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
"$tmp/flowsense" serve --model "$model" --addr "$addr" >/dev/null 2>"$tmp/serve.log" & pid=$!
for _ in $(seq 1000); do curl -sf -o /dev/null "http://$addr/health/readiness" && break; sleep 0.01; done
predicted() { curl -sf "http://$addr/metrics" | awk '/^flowsense_predictions_total/{s+=$NF} END{printf "%d", s}'; }

echo "# soak: ${DURATION}s of wrk -t2 -c16 in 10 s slices; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
before=$(predicted)
answered=0
status=0
slices=$(( (DURATION + 9) / 10 ))
for i in $(seq "$slices"); do
  r=$(SOAK_DIR=$tmp wrk -t2 -c16 -d10s --timeout 15s -s bench/wrk/soak.lua "http://$addr" | grep '^RESULT')
  rss=$(awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$pid/status")
  printf '%4ds %s rss_mb=%s\n' $(( i * 10 )) "${r#RESULT }" "$rss"
  n=$(sed -n 's/.* flows=\([0-9]*\).*/\1/p' <<<"$r")
  answered=$(( answered + n ))
  case $r in *" socket_errors=0 "*) ;; *) status=1 ;; esac
  if grep -Eq 'status=.*(50[0124-9]|5[1-9][0-9]):' <<<"$r"; then status=1; fi
done
after=$(predicted)
echo "peak RSS: $(awk '/VmHWM/{printf "%.0f MB", $2/1024}' "/proc/$pid/status")"
counted=$(( after - before ))
# wrk abandons the requests in flight when a slice ends: those flows are
# classified and counted but never read, at most 16 connections x 100
# flows a slice. Every flow answered must be counted, and no more than that.
slack=$(( slices * 16 * 100 ))
echo "flows answered: $answered; counted in flowsense_predictions_total: $counted (abandoned in flight: $(( counted - answered )), bound $slack)"
if [ "$counted" -lt "$answered" ] || [ "$counted" -gt $(( answered + slack )) ]; then
  echo "bench/soak.sh: the counts disagree" >&2; status=1
fi
exit $status
