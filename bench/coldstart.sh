#!/usr/bin/env bash
# bench/coldstart.sh [N] [BASE_REF]: exec to the first classified answer
# (issue 14) for flowsense serve, the Knative binary (cmd/flowsense-fn)
# and the Lambda bootstrap under aws-lambda-rie, built from this tree and
# from BASE_REF (default: where this branch left main, git merge-base
# HEAD main), run in turn N times each (default 20) in
# one process (bench/coldstart), so a loaded machine weighs on both alike:
# median, p90, min, max, and the median of this tree against BASE_REF's.
# Then the in-process breakdown of a start (metadata, wazero's compile on
# each engine, host.Load, functions.New) and the package-init cost of each
# binary (GODEBUG=inittrace=1: the sum of init clock and the costliest).
#
# The module served is functions/knative/model.wasm (the Knative
# function's embedded model; MODEL=path to change it). aws-lambda-rie is
# looked up as make test-lambda-rie installs it (RIE=path to change it);
# without it the Lambda rows are skipped. BASE_REF=none skips the base.
set -euo pipefail
n=${1:-20}
base=${2:-$(git -C "$(dirname "$0")" merge-base HEAD main)}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
model=${MODEL:-functions/knative/model.wasm}
rie=${RIE:-$HOME/.cache/flowsense/bin/aws-lambda-rie}
tmp=$(mktemp -d)
cleanup() {
  if [ -d "$tmp/base-src" ]; then git worktree remove --force "$tmp/base-src" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# build DIR OUT: the three binaries of the tree at DIR into OUT, as they
# ship (make lambda's flags for the bootstrap).
build() {
  local src=$1 out=$2
  mkdir -p "$out"
  (cd "$src" && go build -o "$out/flowsense" ./cmd/flowsense)
  (cd "$src/functions/knative" && go build -o "$out/flowsense-fn" ./cmd/flowsense-fn)
  (cd "$src" && CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o "$out/bootstrap" ./functions/lambda)
}

echo "building this tree ($(git rev-parse --short HEAD)$(git diff --quiet || echo ', with changes'))" >&2
build "$root" "$tmp/new"
go build -o "$tmp/coldstart" ./bench/coldstart
targets=()
if [ "$base" != none ]; then
  echo "building $base" >&2
  git worktree add --detach "$tmp/base-src" "$base" >/dev/null 2>&1
  build "$tmp/base-src" "$tmp/base"
  b=$(git rev-parse --short "$base")
  targets+=("serve@$b=serve:$tmp/base/flowsense")
fi
targets+=("serve=serve:$tmp/new/flowsense")
[ "$base" != none ] && targets+=("knative@$b=knative:$tmp/base/flowsense-fn")
targets+=("knative=knative:$tmp/new/flowsense-fn")
if [ -x "$rie" ]; then
  [ "$base" != none ] && targets+=("lambda@$b=lambda:$tmp/base/bootstrap")
  targets+=("lambda=lambda:$tmp/new/bootstrap")
else
  echo "no aws-lambda-rie at $rie (make test-lambda-rie installs it): no Lambda rows" >&2
fi

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
"$tmp/coldstart" run -n "$n" -model "$model" -rie "$rie" "${targets[@]}"
echo
"$tmp/coldstart" breakdown -n "$n" -model "$model"
echo
echo "package init (GODEBUG=inittrace=1, mean of 10 runs of each binary; flowsense version, the others exiting early without a model or runtime API):"
for b in "flowsense version" "flowsense-fn" "bootstrap"; do
  for i in $(seq 10); do
    # flowsense-fn with a model path that does not exist fails its Start at once
    GODEBUG=inittrace=1 FLOWSENSE_MODEL=/nonexistent LISTEN_ADDRESS=127.0.0.1:0 timeout 5 $tmp/new/$b 2>&1 >/dev/null | grep '^init ' || true
  done >"$tmp/init.txt"
  total=$(awk '{t+=$5} END{printf "%.2f", t/10}' "$tmp/init.txt")
  top=$(awk '{c[$2]+=$5} END{for (p in c) printf "%.2f %s\n", c[p]/10, p}' "$tmp/init.txt" | sort -rn | awk 'NR <= 5 {printf " %s %s;", $2, $1}')
  echo "  ${b%% *}: $total ms of init clock; costliest:$top"
done
