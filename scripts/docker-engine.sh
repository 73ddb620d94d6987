#!/usr/bin/env bash
# Starts a Docker engine when none answers: through systemd where it is PID 1,
# otherwise as a background dockerd (containers and CI sandboxes).
source "$(dirname "$0")/lib.sh"

if docker_ready; then skip "docker engine"; exit 0; fi
is_root || die "no Docker engine answers and starting one needs root; start dockerd or run as root"
command -v dockerd >/dev/null || die "dockerd is not installed; run 'make setup' as root"

say "starting the Docker engine"
if [ "$(ps -p 1 -o comm= 2>/dev/null)" = "systemd" ]; then
  systemctl start docker || die "systemctl start docker failed; see 'journalctl -u docker'"
else
  nohup dockerd >"$STATE_DIR/dockerd.log" 2>&1 &
fi
for _ in $(seq 1 60); do
  docker_ready && exit 0
  sleep 1
done
die "dockerd did not become ready in 60 s; see .state/dockerd.log"
