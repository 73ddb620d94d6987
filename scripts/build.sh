#!/usr/bin/env bash
# Builds the collection artifact exactly as a user would publish it.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p build
ansible-galaxy collection build --force --output-path build . >/dev/null
ls build/ironclad-aws-*.tar.gz
