#!/usr/bin/env bash
# funcbuild.sh [build|deploy|run] [ARGS...]: runs `func build --builder
# host ARGS` (or deploy, or run) in this directory with github.com/flowsense/flowsense (not published) served by
# modproxy.sh from this working tree, and a module cache of its own under
# .func/ (the version is fixed, so an earlier copy is dropped first). The
# environment is the one TestFuncHostBuild builds with (README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v func >/dev/null || { echo "funcbuild.sh: the knative func CLI is not on PATH (https://knative.dev/docs/functions/install-func/)" >&2; exit 2; }
download="$(go env GOMODCACHE)/cache/download"
upstream=$(go env GOPROXY)
"$here/modproxy.sh" "$here/.func/modproxy" >/dev/null
# FUNC_ENABLE_HOST_BUILDER: func v0.44.0 refuses --builder host without it.
# -mod=mod: the host builder runs only `go build` in its scaffold (a main
# module whose go.mod lists func-go and function alone, go 1.21), so go must
# be allowed to add function's requirements to that generated go.mod.
export FUNC_ENABLE_HOST_BUILDER=true
export GOMODCACHE="$here/.func/modcache" GOFLAGS="-mod=mod -modcacherw" GONOSUMDB=github.com/flowsense/flowsense GOWORK=off
export GOPROXY="file://$here/.func/modproxy,file://$download,$upstream"
rm -rf "$GOMODCACHE"/github.com/flowsense/flowsense@* "$GOMODCACHE/cache/download/github.com/flowsense/flowsense"
cd "$here"
cmd=${1:-build}
[ $# -gt 0 ] && shift
exec func "$cmd" --builder host "$@"
