#!/usr/bin/env bash
# Builds the base images offline (debootstrap + docker import), one per Debian
# release, and rebuilds one only when its recipe (this script, images/*) changes.
source "$(dirname "$0")/lib.sh"

declare -A SUITES=([12]=bookworm [13]=trixie)
recipe=$( (declare -p SUITES; cat "$ROOT"/images/*) | sha256sum | cut -c1-16)

build() {
  local version=$1 tag=$2 suite=${SUITES[$1]} mirror rootfs log
  mirror=$(debian_mirror)
  log="$STATE_DIR/debootstrap-$suite.log"
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/ironclad-rootfs.XXXXXX")
  say "building $tag ($suite from $mirror)"
  if ! debootstrap --variant=minbase --include="$(grep -v '^#' "$ROOT/images/debian.packages" | paste -sd,)" \
       "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
    rm -rf "$rootfs"
    die "debootstrap $suite from $mirror failed (see .state/debootstrap-$suite.log); the Debian mirror may be broken or unreachable"
  fi
  cp "$ROOT/images/customize.sh" "$rootfs/tmp/customize.sh"
  if ! chroot "$rootfs" /bin/sh /tmp/customize.sh >>"$log" 2>&1; then
    rm -rf "$rootfs"; die "customizing $tag failed (see .state/debootstrap-$suite.log)"
  fi
  rm -f "$rootfs/tmp/customize.sh"
  if ! tar -C "$rootfs" -c . | docker import \
       -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
       -c "LABEL ironclad.recipe=$recipe" -c "LABEL ironclad.suite=$suite" - "$tag" >/dev/null; then
    rm -rf "$rootfs"; die "docker import of $tag failed; is the engine healthy? ('docker info')"
  fi
  rm -rf "$rootfs"
}

# The releases build in parallel: debootstrap waits on the network as much as on the CPU.
pids=()
for version in "${!SUITES[@]}"; do
  tag="ironclad/debian:$version"
  have=$(docker image inspect -f '{{ index .Config.Labels "ironclad.recipe" }}' "$tag" 2>/dev/null || true)
  if [ "$have" = "$recipe" ]; then skip "image $tag"; continue; fi
  is_root || die "building $tag needs root (debootstrap); run 'make images' as root"
  build "$version" "$tag" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
