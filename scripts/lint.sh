#!/usr/bin/env bash
# The style gates: YAML, Ansible content (production profile), Python.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
say "yamllint"; yamllint -s .
# ansible-lint puts $ANSIBLE_HOME/collections (default ~/.ansible, shared by every clone)
# first and may leave an installed copy of this collection there, which then hides this
# tree's new modules. A home of its own whose collections are this clone's link farm
# resolves ironclad.aws to this tree (the link makes ansible-lint skip installing it).
export ANSIBLE_HOME="$STATE_DIR/ansible-lint-home"
mkdir -p "$ANSIBLE_HOME"; ln -sfn "$STATE_DIR/collections" "$ANSIBLE_HOME/collections"
say "ansible-lint (production profile)"; ansible-lint --profile production --offline -q
# Two commands, not `a && b`: set -e ignores a failure on the left of &&, so a ruff
# finding let lint pass.
say "ruff"; ruff check .; ruff format --check .
say "README variable tables"; python scripts/readme_vars.py --check
