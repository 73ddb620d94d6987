#!/usr/bin/env bash
# Runs every benchmark (benchmarks/bench_*) in turn; each prints its own table and
# ratios against a baseline measured in the same run. `make bench B=backup` runs one.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
shopt -s nullglob
failed=()
for bench in benchmarks/bench_"${B:-}"*; do
  [ -x "$bench" ] || continue
  say "$bench"
  "$bench" || failed+=("$bench")
done
[ ${#failed[@]} -eq 0 ] || die "benchmarks that did not finish: ${failed[*]}"
