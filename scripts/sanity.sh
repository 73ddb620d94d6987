#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection laid out as ansible_collections/ironclad/aws.
source "$(dirname "$0")/lib.sh"
copy=$(scripts/collection-link.sh --copy)
cd "$copy"
git init -q . && git add -A >/dev/null  # ansible-test lists files through git when it can
PATH="$ROOT/.venv/bin:$PATH" ansible-test sanity --local --python 3.11 --color no "$@"
