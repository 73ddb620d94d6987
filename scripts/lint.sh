#!/usr/bin/env bash
# The style gates: YAML, Ansible content (production profile), Python.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
say "yamllint"; yamllint -s .
say "ansible-lint (production profile)"; ansible-lint --profile production --offline -q
say "ruff"; ruff check . && ruff format --check .
say "README variable tables"; python scripts/readme_vars.py --check
