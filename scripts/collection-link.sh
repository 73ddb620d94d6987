#!/usr/bin/env bash
# Makes the working tree importable as ironclad.aws (Molecule, playbooks, the lab),
# and copies it into an ansible_collections tree for ansible-test, which refuses links.
source "$(dirname "$0")/lib.sh"

link="$STATE_DIR/collections/ansible_collections/ironclad/aws"
mkdir -p "$(dirname "$link")"
[ -L "$link" ] || ln -sfn "$ROOT" "$link"

if [ "${1:-}" = "--copy" ]; then
  copy="$STATE_DIR/sanity/ansible_collections/ironclad/aws"
  rm -rf "$copy"; mkdir -p "$copy"
  git -C "$ROOT" ls-files -co --exclude-standard -z | (cd "$ROOT" && xargs -0 cp --parents -t "$copy")
  # The collections we depend on (doc fragments, module_utils) beside it, as installed.
  for ns in amazon ansible community; do
    ln -sfn "$ROOT/.venv/lib/python3.11/site-packages/ansible_collections/$ns" "$STATE_DIR/sanity/ansible_collections/$ns"
  done
  echo "$copy"
fi
