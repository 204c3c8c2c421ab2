#!/usr/bin/env bash
# bench/wrk.sh [serve|knative]...: HTTP throughput and latency of flowsense
# on loopback with wrk (apt-get install wrk; jq builds the bodies).
#
# Servers: "serve" is `flowsense serve`, "knative" the Knative function run
# without func (functions/knative/cmd/flowsense-fn, func-go's http.Start);
# both by default, both on the model embedded in the Knative function
# (functions/knative/model.wasm, 42 CICFlowMeter features, 6 classes).
# "fastapi" is the Python baseline (bench/fastapi_app.py: FastAPI under
# uvicorn, FASTAPI_WORKERS (2) workers, a scikit-learn model of the same
# size; /usr/bin/python3 with python3-fastapi, python3-uvicorn,
# python3-sklearn): json_one and json_batch100 only. With serve and
# fastapi both run, the last lines are the ratios serve/fastapi.
# Requests, each for WRK_DURATION (10s) at wrk -t2 -c16 (the baseline's
# settings, bench/README.md), WRK_RUNS (3) times, the median run reported:
#   json_one     POST /predict, one JSON flow object (CIC-IDS2017 columns)
#   ce_binary    POST /, one flow as a binary-mode CloudEvent
#   json_batch100 POST /predict, a JSON array of 100 flows
#   v2_one       POST /v2/models/NAME/infer, the Open Inference Protocol:
#                one flow as an FP32 [1, F] tensor (JSON)
#   v2_batch100  the same with 100 flows, FP32 [100, F] (JSON)
#   v2_bin100    the same 100 flows as binary tensor data (FP32 after the
#                JSON, every output binary)
# Prints one line per server and request: requests/s, p50/p90/p99/max
# latency in ms (wrk's own percentiles), then the server's peak resident
# memory (VmHWM). Exits 1 if any answer is not 2xx.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk jq; do
  command -v "$tool" >/dev/null || { echo "bench/wrk.sh: $tool not found: apt-get install $tool" >&2; exit 1; }
done
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(serve knative)
DURATION=${WRK_DURATION:-10s}
RUNS=${WRK_RUNS:-3}
THREADS=${WRK_THREADS:-2}
CONNS=${WRK_CONNS:-16}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/flowsense" ./cmd/flowsense
(cd functions/knative && go build -o "$tmp/flowsense-fn" ./cmd/flowsense-fn)
model=functions/knative/model.wasm

# Bodies: flows of the synthetic CICFlowMeter data from the behaviour
# suite's requests (the body follows the first blank line).
body() { awk 'f{print} /^\r?$/{f=1}' "functions/testdata/behaviour/$1.req"; }
body predict_object > "$tmp/one.json"
body predict_array | jq -c '[limit(100; repeat(.[]))]' > "$tmp/batch100.json"
[ "$(jq length "$tmp/batch100.json")" = 100 ] || { echo "bench/wrk.sh: batch body is not 100 flows" >&2; exit 1; }

# V2 bodies: the flows of the behaviour suite's v2_infer_matrix case (an
# FP32 [6, F] tensor), one flow and 100 (the six repeated).
v2=$(body v2_infer_matrix)
jq -c '.inputs[0] as $i | $i.shape[1] as $f | {inputs: [{name: "flows", datatype: "FP32", shape: [1, $f], data: $i.data[0:$f]}]}' <<<"$v2" > "$tmp/v2one.json"
jq -c '.inputs[0] as $i | $i.shape[1] as $f | {inputs: [{name: "flows", datatype: "FP32", shape: [100, $f],
  data: ([range(100) as $k | $i.data[(($k % 6) * $f):((($k % 6) + 1) * $f)]] | add)}]}' <<<"$v2" > "$tmp/v2batch100.json"
# binary: the same 100 rows as little-endian FP32 (null, a missing value, as
# NaN; 1e39, beyond float32, as infinity)
python3 - "$tmp/v2batch100.json" "$tmp/v2bin100.body" "$tmp/v2bin100.len" <<'PY'
import json, struct, sys
req = json.load(open(sys.argv[1])); t = req["inputs"][0]
f32 = lambda v: float("nan") if v is None else float(v) if abs(v) < 3.4e38 else float("inf") * (1 if v > 0 else -1)
raw = struct.pack("<%df" % len(t["data"]), *[f32(v) for v in t["data"]])
head = json.dumps({"parameters": {"binary_data_output": True}, "inputs": [
    {"name": "flows", "datatype": "FP32", "shape": t["shape"], "parameters": {"binary_data_size": len(raw)}}]}).encode()
open(sys.argv[2], "wb").write(head + raw); open(sys.argv[3], "w").write(str(len(head)))
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() { # $1 server, $2 addr
  case $1 in
    serve)   "$tmp/flowsense" serve --model "$model" --addr "$2" >/dev/null 2>&1 & pid=$! ;;
    knative) LISTEN_ADDRESS=$2 "$tmp/flowsense-fn" >/dev/null 2>&1 & pid=$! ;;
    fastapi)
      if [ ! -s "$tmp/model.json" ]; then # the model's metadata, from flowsense itself
        local maddr=127.0.0.1:$(free_port)
        "$tmp/flowsense" serve --model "$model" --addr "$maddr" >/dev/null 2>&1 & pid=$!
        for _ in $(seq 1000); do curl -sf -o "$tmp/model.json" "http://$maddr/model" && break; sleep 0.01; done
        kill "$pid"; wait "$pid" 2>/dev/null || true
      fi
      FASTAPI_PORT=${2##*:} /usr/bin/python3 bench/fastapi_app.py "$tmp/model.json" >/dev/null 2>&1 & pid=$! ;;
    *) echo "bench/wrk.sh: unknown server $1 (serve or knative)" >&2; exit 2 ;;
  esac
  for _ in $(seq 6000); do # a minute: the fastapi workers import and fit first
    curl -sf -o /dev/null "http://$2/health/readiness" && return 0
    sleep 0.01
  done
  echo "bench/wrk.sh: $1 not ready on $2" >&2; exit 1
}

run_wrk() { # $1 url, $2 path, $3 body, $4 headers -> median RESULT line
  local i lines=()
  for i in $(seq "$RUNS"); do
    lines+=("$(WRK_PATH=$2 WRK_BODY=$3 WRK_HEADERS=$4 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s bench/wrk/post.lua "$1" | grep '^RESULT')")
  done
  printf '%s\n' "${lines[@]}" | sort -t= -k2 -g | sed -n "$(( (RUNS + 1) / 2 ))p"
}

ce_headers="Content-Type: application/json|Ce-Specversion: 1.0|Ce-Id: wrk-1|Ce-Source: /bench/wrk|Ce-Type: io.flowsense.flow.v1"
echo "# wrk -t$THREADS -c$CONNS -d$DURATION, median of $RUNS runs by requests/s; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
for server in "${servers[@]}"; do
  addr=127.0.0.1:$(free_port)
  start_server "$server" "$addr"
  name=$(curl -sf "http://$addr/model" | jq -r '.name // "flowsense"')
  infer=/v2/models/$name/infer
  reqs=(json_one ce_binary json_batch100 v2_one v2_batch100 v2_bin100)
  [ "$server" = fastapi ] && reqs=(json_one json_batch100)
  for req in "${reqs[@]}"; do
    case $req in
      v2_one)        r=$(run_wrk "http://$addr" "$infer" "$tmp/v2one.json" "Content-Type: application/json") ;;
      v2_batch100)   r=$(run_wrk "http://$addr" "$infer" "$tmp/v2batch100.json" "Content-Type: application/json") ;;
      v2_bin100)     r=$(run_wrk "http://$addr" "$infer" "$tmp/v2bin100.body" "Content-Type: application/octet-stream|Inference-Header-Content-Length: $(cat "$tmp/v2bin100.len")") ;;
      json_one)      r=$(run_wrk "http://$addr" /predict "$tmp/one.json" "Content-Type: application/json") ;;
      ce_binary)     r=$(run_wrk "http://$addr" / "$tmp/one.json" "$ce_headers") ;;
      json_batch100) r=$(run_wrk "http://$addr" /predict "$tmp/batch100.json" "Content-Type: application/json") ;;
    esac
    printf '%-8s %-14s %s\n' "$server" "$req" "${r#RESULT }"
    rps=${r#*rps=}; rps=${rps%% *}
    declare "rps_${server}_${req}=$rps"
    case $r in *" errors=0 "*) ;; *) status=1 ;; esac
  done
  echo "$server peak RSS: $(awk '/VmHWM/{printf "%.1f MB", $2/1024}' "/proc/$pid/status")"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
if [ -n "${rps_serve_json_one:-}" ] && [ -n "${rps_fastapi_json_one:-}" ]; then
  awk -v s1="$rps_serve_json_one" -v f1="$rps_fastapi_json_one" -v s100="$rps_serve_json_batch100" -v f100="$rps_fastapi_json_batch100" 'BEGIN {
    printf "serve/fastapi json_one requests/s: %.1fx\n", s1 / f1
    printf "serve/fastapi json_batch100 flows/s: %.1fx (serve %.0f flows/s, fastapi %.0f)\n", s100 / f100, s100 * 100, f100 * 100 }'
fi
exit $status
