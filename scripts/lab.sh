#!/usr/bin/env bash
# `make lab`: the whole estate on local containers (molecule/lab), then a report of
# what a user would check by hand. `make lab-down` removes it all.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

case "${1:-up}" in
  up)
    start=$(date +%s)
    molecule create -s lab
    molecule prepare -s lab --force
    molecule converge -s lab
    say "lab converged in $(( $(date +%s) - start )) s"
    python molecule/lab/report.py
    ;;
  down)
    molecule destroy -s lab
    ;;
  *) die "usage: scripts/lab.sh up|down" ;;
esac
