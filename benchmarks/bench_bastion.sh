#!/usr/bin/env bash
# Bastion benchmarks (see bench_bastion.py) with the project's Python and collections.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$root/.state/collections}
export PYTHONPATH=${PYTHONPATH:-$root/.state/collections:$root}
export PATH="$root/.venv/bin:$PATH"
exec "$root/.venv/bin/python" "$root/benchmarks/bench_bastion.py" "$@"
