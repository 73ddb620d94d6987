#!/usr/bin/env bash
# Builds the base images offline (debootstrap + docker import), one per Debian
# release, and rebuilds one only when its recipe (this script, images/*) changes.
source "$(dirname "$0")/lib.sh"

declare -A SUITES=([12]=bookworm [13]=trixie)
recipe=$(cat "$0" "$ROOT"/images/* | sha256sum | cut -c1-16)

for version in "${!SUITES[@]}"; do
  tag="ironclad/debian:$version"
  have=$(docker image inspect -f '{{ index .Config.Labels "ironclad.recipe" }}' "$tag" 2>/dev/null || true)
  if [ "$have" = "$recipe" ]; then skip "image $tag"; continue; fi

  is_root || die "building $tag needs root (debootstrap); run 'make images' as root"
  mirror=$(debian_mirror)
  suite=${SUITES[$version]}
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/ironclad-rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  say "building $tag ($suite from $mirror)"
  if ! debootstrap --variant=minbase --include="$(grep -v '^#' "$ROOT/images/debian.packages" | paste -sd,)" \
       "$suite" "$rootfs" "$mirror" >"$STATE_DIR/debootstrap-$suite.log" 2>&1; then
    die "debootstrap $suite from $mirror failed (see .state/debootstrap-$suite.log); the Debian mirror may be broken or unreachable"
  fi
  cp "$ROOT/images/customize.sh" "$rootfs/tmp/customize.sh"
  chroot "$rootfs" /bin/sh /tmp/customize.sh >>"$STATE_DIR/debootstrap-$suite.log" 2>&1 \
    || die "customizing $tag failed (see .state/debootstrap-$suite.log)"
  rm -f "$rootfs/tmp/customize.sh"
  tar -C "$rootfs" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
    -c "LABEL ironclad.recipe=$recipe" -c "LABEL ironclad.suite=$suite" - "$tag" >/dev/null \
    || die "docker import of $tag failed; is the engine healthy? ('docker info')"
  rm -rf "$rootfs"
  trap - EXIT
done
