#!/usr/bin/env bash
# Everything `make test` needs on a fresh Debian host, each step skipped when done.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
start=$(date +%s)
scripts/preflight.sh
scripts/host-packages.sh
scripts/docker-engine.sh
scripts/venv.sh
scripts/ansible-test-bootstrap.sh
scripts/collection-link.sh
scripts/images.sh
say "setup finished in $(( $(date +%s) - start )) s"
