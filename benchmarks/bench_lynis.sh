#!/usr/bin/env bash
# lynis hardening index per lab host kind vs the plain base images (see bench_lynis.py)
# with the project's Python and collections.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$root/.state/collections}
export PYTHONPATH=${PYTHONPATH:-$root/.state/collections:$root}
export MOLECULE_PROJECT_DIRECTORY=${MOLECULE_PROJECT_DIRECTORY:-$root}
export PATH="$root/.venv/bin:$PATH"
cd "$root"
exec "$root/.venv/bin/python" "$root/benchmarks/bench_lynis.py" "$@"
