#!/usr/bin/env bash
# Builds the collection artifact exactly as a user would publish it. Steps that run
# side by side (sanity, golden) each build it: the artifact is built in a folder of
# its own and renamed into place, so no step ever reads a half-written tarball.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p build
tmp=$(mktemp -d build/.building.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
ansible-galaxy collection build --force --output-path "$tmp" . >/dev/null
artifact=$(basename "$tmp"/ironclad-aws-*.tar.gz)
mv -f "$tmp/$artifact" "build/$artifact"
echo "build/$artifact"
