#!/usr/bin/env bash
# Installs the host tools the harness needs (Docker engine, debootstrap, ACL tools).
source "$(dirname "$0")/lib.sh"

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v setfacl >/dev/null || need+=(acl)
command -v packer >/dev/null || need+=(packer)
command -v wrk >/dev/null || need+=(wrk)

if [ ${#need[@]} -eq 0 ]; then skip "host packages"; exit 0; fi
if ! is_root; then
  die "missing host packages: ${need[*]}; run 'make test' as root or install them with apt-get"
fi
command -v apt-get >/dev/null || die "missing host packages: ${need[*]}; this host has no apt-get, install them by hand"

say "installing host packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >"$STATE_DIR/apt-update.log" 2>&1 || grep -qE '^(E:|Err:)' "$STATE_DIR/apt-update.log"; then
  die "the Debian mirror is not answering (apt-get update failed, see .state/apt-update.log); fix /etc/apt/sources.list and retry"
fi
apt-get install -y -qq --no-install-recommends "${need[@]}" >"$STATE_DIR/apt-install.log" 2>&1 \
  || die "apt-get install ${need[*]} failed (see .state/apt-install.log); the Debian mirror may be broken"
