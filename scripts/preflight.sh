#!/usr/bin/env bash
# Stops at once, naming what is missing, when this host cannot run the harness.
source "$(dirname "$0")/lib.sh"

is_root && exit 0
missing=()
docker_ready || missing+=("a running Docker engine")
command -v debootstrap >/dev/null || docker image inspect ironclad/debian:12 >/dev/null 2>&1 || missing+=("debootstrap")
command -v python3 >/dev/null || missing+=("python3")
if [ ${#missing[@]} -gt 0 ]; then
  die "not root, and missing: $(IFS=,; echo "${missing[*]}" | sed 's/,/, /g'); run as root (setup installs and starts them) or provide them"
fi
