#!/usr/bin/env bash
# deps.sh TARGET...: makes sure the Debian packages the given make targets
# need (the list is .ci/packages, the only one) are installed. Missing ones
# are installed with apt-get when run as root; otherwise it prints the exact
# command to run and exits 2. FLOWSENSE_APT=0 checks only (never installs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=${FLOWSENSE_PACKAGES:-$here/packages}
[ $# -gt 0 ] || { echo "usage: deps.sh TARGET... (targets in $list)" >&2; exit 2; }

missing=() why=()
while read -r target check pkg reason; do
  case $target in ''|'#'*) continue ;; esac
  want=0
  for t in "$@"; do [ "$t" = "$target" ] && want=1; done
  [ $want = 1 ] || continue
  if [[ $check == dpkg:* ]]; then
    dpkg-query -W -f='${Status}' "${check#dpkg:}" 2>/dev/null | grep -q 'ok installed' && continue
  else
    command -v "$check" >/dev/null 2>&1 && continue
  fi
  case " ${missing[*]} " in *" $pkg "*) continue ;; esac
  missing+=("$pkg") why+=("  $pkg ($check: $reason)")
done <"$list"

[ ${#missing[@]} -eq 0 ] && exit 0

{
  echo "make $*: ${#missing[@]} Debian package(s) missing:"
  printf '%s\n' "${why[@]}"
} >&2
if [ "$(id -u)" != 0 ] || [ "${FLOWSENSE_APT:-1}" = 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" != 0 ] && sudo="sudo "
  {
    echo "install them, then run make $* again:"
    echo "  ${sudo}apt-get update && ${sudo}apt-get install -y ${missing[*]}"
    command -v apt-get >/dev/null 2>&1 || echo "(apt-get not found: this machine is not Debian-like; install the equivalents)"
  } >&2
  exit 2
fi
echo "deps: apt-get install -y ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
