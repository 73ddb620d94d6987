#!/usr/bin/env bash
# Creates .venv from the pinned requirements; reinstalls only when they change.
source "$(dirname "$0")/lib.sh"

VENV="$ROOT/.venv"
stamp="$VENV/.requirements.sha256"
want=$(cat "$ROOT/requirements-dev.txt" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then skip "virtualenv .venv"; exit 0; fi

command -v python3 >/dev/null || die "python3 is missing; install python3 and python3-venv"
say "creating .venv from requirements-dev.txt"
python3 -m venv "$VENV" || die "python3 -m venv failed; install python3-venv"
"$VENV/bin/pip" install -q --upgrade pip >"$STATE_DIR/pip.log" 2>&1 || die "pip could not reach the package index (see .state/pip.log)"
"$VENV/bin/pip" install -q -r "$ROOT/requirements-dev.txt" -c "$ROOT/constraints.txt" >>"$STATE_DIR/pip.log" 2>&1 \
  || die "installing requirements-dev.txt failed (see .state/pip.log)"
echo "$want" >"$stamp"
