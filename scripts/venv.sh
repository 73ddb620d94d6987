#!/usr/bin/env bash
# Provides .venv from the pinned requirements. The venv itself lives in a cache outside
# the clone, keyed by the requirements and the interpreter, so a fresh clone of the
# same commit links it in a second instead of installing for a minute or more; a new
# key builds a new one (the cold path every changed pin takes). IRONCLAD_CACHE_DIR
# moves the cache.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || die "python3 is missing; install python3 and python3-venv"
VENV="$ROOT/.venv"
want=$( (cat "$ROOT/requirements-dev.txt" "$ROOT/constraints.txt"; python3 -VV) | sha256sum | cut -c1-16)
stamp=.requirements.key
pins=$(cat "$ROOT/requirements-dev.txt" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)

if [ -f "$VENV/$stamp" ] && [ "$(cat "$VENV/$stamp")" = "$want" ]; then skip "virtualenv .venv"; exit 0; fi
# A venv made in the clone by hand (python3 -m venv .venv; pip install ...) and stamped so.
if [ -d "$VENV" ] && [ ! -L "$VENV" ] && [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" = "$pins" ]; then
  skip "virtualenv .venv (in the clone)"; exit 0
fi

target="$CACHE_DIR/venv-$want"
mkdir -p "$CACHE_DIR"
# Two clones setting up at once build a key's venv once.
exec 9>"$target.lock"
flock 9
if [ ! -f "$target/$stamp" ]; then
  say "creating the virtualenv for these requirements ($target)"
  rm -rf "$target"
  python3 -m venv "$target" || die "python3 -m venv failed; install python3-venv"
  "$target/bin/pip" install -q --upgrade pip >"$STATE_DIR/pip.log" 2>&1 || die "pip could not reach the package index (see .state/pip.log)"
  "$target/bin/pip" install -q -r "$ROOT/requirements-dev.txt" -c "$ROOT/constraints.txt" >>"$STATE_DIR/pip.log" 2>&1 \
    || { rm -rf "$target"; die "installing requirements-dev.txt failed (see .state/pip.log)"; }
  echo "$want" >"$target/$stamp"
fi
[ -L "$VENV" ] || [ ! -e "$VENV" ] || rm -rf "$VENV"  # a stale real folder from older pins
ln -sfn "$target" "$VENV"
say "virtualenv .venv -> $target"
