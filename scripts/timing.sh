#!/usr/bin/env bash
# Runs one step of `make test` and records how long it took, so the README and the
# closing notes can give each scenario's time; `report` prints the table.
source "$(dirname "$0")/lib.sh"
log="$STATE_DIR/timings.tsv"

case "$1" in
  run)
    name=$2; shift 2
    start=$(date +%s)
    set +e; "$@"; rc=$?; set -e
    printf '%s\t%s\t%s\n' "$name" "$(( $(date +%s) - start ))" "$rc" >>"$log"
    exit $rc
    ;;
  report)
    [ -f "$log" ] || exit 0
    printf '%-28s %8s %4s\n' step seconds rc
    awk -F'\t' '{ printf "%-28s %8s %4s\n", $1, $2, $3; t += $2 } END { printf "%-28s %8s\n", "total", t }' "$log"
    rm -f "$log"
    ;;
esac
