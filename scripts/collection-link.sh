#!/usr/bin/env bash
# Makes the working tree importable as ironclad.aws (Molecule, playbooks, the lab).
source "$(dirname "$0")/lib.sh"

link="$STATE_DIR/collections/ansible_collections/ironclad/aws"
mkdir -p "$(dirname "$link")"
[ -L "$link" ] || ln -sfn "$ROOT" "$link"

