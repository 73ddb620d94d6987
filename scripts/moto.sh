#!/usr/bin/env bash
# Runs the moto server (AWS stand-in) for the Molecule scenarios and the lab.
# It listens on all of the host's addresses so that containers reach it through
# their gateway (the name "moto" inside them); tests on the host use 127.0.0.1.
source "$(dirname "$0")/lib.sh"

PORT=${MOTO_PORT:-5000}
PIDFILE="$STATE_DIR/moto.pid"
url="http://127.0.0.1:$PORT"

# The dashboard answers whatever state the server holds (data.json can fail on some).
answering() { curl -fsS -o /dev/null "$url/moto-api/" 2>/dev/null; }

case "${1:-start}" in
  start)
    if answering; then skip "moto server on :$PORT"; exit 0; fi
    say "starting moto server on :$PORT"
    nohup "$ROOT/.venv/bin/moto_server" -H 0.0.0.0 -p "$PORT" >"$STATE_DIR/moto.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 30); do answering && exit 0; sleep 1; done
    die "moto server did not answer on :$PORT in 30 s (see .state/moto.log); is the port taken?"
    ;;
  reset)
    curl -fsS -X POST "$url/moto-api/reset" >/dev/null || die "moto server on :$PORT is not answering; run 'scripts/moto.sh start'"
    ;;
  stop)
    if [ -f "$PIDFILE" ]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; rm -f "$PIDFILE"; fi
    ;;
  *) die "usage: scripts/moto.sh start|reset|stop" ;;
esac
