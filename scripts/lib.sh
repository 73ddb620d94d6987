# Shared helpers for the setup scripts: one-line messages and a clean stop.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR="$ROOT/.state"
mkdir -p "$STATE_DIR"
# What outlives a clone (the venv, build caches), keyed by what it was made from.
CACHE_DIR=${IRONCLAD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ironclad}

say() { printf '==> %s\n' "$*"; }
skip() { printf '    %s (already done)\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

docker_ready() { docker info >/dev/null 2>&1; }

# The Debian mirror this host already uses, so images come from the same place as
# the host's own packages (override with DEBIAN_MIRROR).
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -E '/debian/?( |$)' | grep -v security | head -n1 \
        | sed -E 's/^URIs:[[:space:]]*//; s/^deb (\[[^]]*\] )?//; s/[[:space:]].*$//' || true)
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR=http://<mirror>/debian"
  echo "${uri%/}"
}
