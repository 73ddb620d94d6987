#!/usr/bin/env python3
"""Runs `make test`'s steps in lanes: the steps of a lane one after another, the lanes
side by side. Each step is a make target; its output goes to .state/logs/<step>.log and
is printed (the tail) when it fails. At the end: a table of each step's seconds, the
wall time, and the failures. A failed step stops its own lane only, so one run shows
every failure. Exit status 1 when any step failed.

    scripts/lanes.py "lint sanity unit" "molecule-bastion" --any "molecule-lab"

Lanes are the arguments (space-separated steps). Steps after `--any` belong to no lane:
the first lane to finish its own steps takes the next of them, so a step whose lane
would be the longest only on some runs (egress_proxy's, when Squid is compiled) goes
where there is room. LANES_JOBS=1 runs everything one at a time in the given order,
for comparing with the parallel run on the same machine.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / ".state" / "logs"
TAIL_LINES = 80
# Logs are read as text: no colour codes from molecule, ansible or pytest.
LOG_ENV = dict(os.environ, NO_COLOR="1", PY_COLORS="0", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="False")

print_lock = threading.Lock()
shared_lock = threading.Lock()


def say(message):
    with print_lock:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_step(step):
    log = LOGS / f"{step}.log"
    started = time.monotonic()
    say(f"start {step}")
    with log.open("w") as out:
        rc = subprocess.call(
            ["make", "--no-print-directory", step], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=LOG_ENV
        )
    seconds = round(time.monotonic() - started)
    say(f"{'ok' if rc == 0 else 'FAILED'} {step} in {seconds} s")
    if rc != 0:
        tail = log.read_text(errors="replace").splitlines()[-TAIL_LINES:]
        with print_lock:
            print(f"----- last {len(tail)} lines of .state/logs/{step}.log -----")
            print("\n".join(tail))
            print("-----", flush=True)
    return seconds, rc


def run_lane(steps, results, shared=()):
    for step in steps:
        seconds, rc = run_step(step)
        results.append((step, seconds, rc))
        if rc != 0:
            for skipped in steps[steps.index(step) + 1 :]:
                results.append((skipped, 0, "skipped"))
            break
    # The shared steps depend on no lane's: a failed lane still takes its share.
    while True:
        with shared_lock:
            if not shared:
                return
            step = shared.pop(0)
        results.append((step, *run_step(step)))


def split_args(argv):
    """(lanes, shared steps) from the command line."""
    if "--any" in argv:
        at = argv.index("--any")
        argv, shared = argv[:at], " ".join(argv[at + 1 :]).split()
    else:
        shared = []
    return [lane.split() for lane in argv if lane.split()], shared


def table(results, wall):
    lines = [f"{'step':<28} {'seconds':>8}  result"]
    for step, seconds, rc in results:
        lines.append(f"{step:<28} {seconds:>8}  {'ok' if rc == 0 else rc if rc == 'skipped' else f'rc={rc}'}")
    lines.append(f"{'sum of steps':<28} {sum(s for _, s, _ in results):>8}")
    lines.append(f"{'wall (lanes side by side)':<28} {wall:>8}")
    return "\n".join(lines)


def main(argv):
    lanes, shared = split_args(argv)
    if not lanes:
        sys.exit("usage: scripts/lanes.py 'step step ...' ['step ...' ...] [--any 'step ...']")
    LOGS.mkdir(parents=True, exist_ok=True)
    sequential = os.environ.get("LANES_JOBS") == "1"
    started = time.monotonic()
    per_lane = [[] for _ in lanes]
    if sequential:
        for lane, results in zip(lanes, per_lane, strict=True):
            run_lane(lane, results, shared)
    else:
        pairs = zip(lanes, per_lane, strict=True)
        threads = [threading.Thread(target=run_lane, args=(*pair, shared)) for pair in pairs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    wall = round(time.monotonic() - started)
    results = [r for lane in per_lane for r in lane]
    report = table(results, wall)
    (LOGS / "timings.txt").write_text(report + "\n")
    print(report)
    failed = [step for step, _, rc in results if rc not in (0, "skipped")]
    if failed:
        print(f"FAILED: {' '.join(failed)} (logs in .state/logs/)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
