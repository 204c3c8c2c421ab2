#!/usr/bin/env bash
# modproxy.sh DIR: writes a file:// Go module proxy at DIR serving this
# repository's module (github.com/flowsense/flowsense, not published) at
# the version functions/knative/go.mod requires, from the working tree's
# tracked files (git stash create; HEAD when clean), without the nested
# modules (deploy/, functions/knative/). func build needs it: the
# scaffolding func generates ignores this function's replace directive
# (README.md, "func build"). funcbuild.sh uses it.
set -euo pipefail
out=${1:?usage: modproxy.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mod=github.com/flowsense/flowsense
version=$(cd "$here" && go list -m -f '{{.Version}}' "$mod")
tree=$(git -C "$root" stash create)
tree=${tree:-HEAD}
at="$out/$mod/@v"
rm -rf "$out"
mkdir -p "$at"
git -C "$root" archive --format=zip --prefix="$mod@$version/" -o "$at/$version.zip" "$tree" -- . ':!deploy' ':!functions/knative'
git -C "$root" show "$tree:go.mod" > "$at/$version.mod"
printf '{"Version":"%s","Time":"2026-01-01T00:00:00Z"}\n' "$version" > "$at/$version.info"
echo "$version" > "$at/list"
echo "$version"
