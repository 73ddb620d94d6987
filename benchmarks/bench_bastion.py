"""Benchmarks of the bastion role, each against a baseline measured in the same run.

1. Converge: first run on a fresh Debian 12 container vs an idempotent re-run.
2. 50 MB of terminal output through a recorded session vs an unrecorded one (same
   sshd, same typed commands; the unrecorded account is in bastion_sshd_unrecorded_users).
3. Shipping 1,000 recordings to S3 (moto): the first run, a run with nothing new,
   and the hand-made way (copy every file on every run) as the baseline.

Run `benchmarks/bench_bastion.sh` from the repository root (`make bench` does): it starts its own container and
network (prefix bench-bastion-), uses the shared moto server, and removes them after.
Prints tables and ratios; asserts no timing.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3

from tests.harness import run_playbook

ROOT = Path(__file__).resolve().parents[1]

NAME = "bench-bastion-debian12"
NETWORK = "bench-bastion-net"
BUCKET = f"ironclad-bastion-bench-{uuid.uuid4().hex[:8]}"
MOTO = "http://127.0.0.1:5000"
OUTPUT_MB = 50
RECORDINGS = 1000
REPEATS = 3

PLAYBOOK = """
- name: Bastion for the benchmark
  hosts: all
  tasks:
    - name: Apply the bastion role
      ansible.builtin.include_role:
        name: ironclad.aws.bastion
"""


def sh(*cmd, check=True, **kwargs):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kwargs)


def in_box(script, check=True):
    return sh("docker", "exec", NAME, "bash", "-c", script, check=check)


def start_container():
    sh("docker", "network", "create", NETWORK)
    sh(
        "docker", "run", "-d", "--name", NAME, "--hostname", NAME, "--network", NETWORK,
        # NET_ADMIN: the bastion loads its nftables firewall, as on a real host.
        "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--security-opt", "seccomp=unconfined",
        "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
        "--add-host", "moto:host-gateway", "--stop-signal", "SIGRTMIN+3",
        "ironclad/debian:12", "/lib/systemd/systemd",
    )  # fmt: skip
    sh("docker", "exec", NAME, "systemctl", "is-system-running", "--wait", check=False)


def stop_container():
    sh("docker", "rm", "-f", NAME, check=False)
    sh("docker", "network", "rm", NETWORK, check=False)


def converge(workdir):
    extra = {
        "bastion_s3_bucket": BUCKET,
        "bastion_s3_endpoint_url": "http://moto:5000",
        "bastion_s3_addressing_style": "path",
        "bastion_aws_environment": {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        "bastion_sshd_unrecorded_users": ["plain"],
    }
    started = time.monotonic()
    result = run_playbook(
        workdir / "site.yml",
        hosts=[NAME],
        connection="community.docker.docker",
        extra_vars=extra,
        env={"ANSIBLE_PIPELINING": "True", "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks"},
    )
    seconds = time.monotonic() - started
    if result.rc != 0:
        sys.exit(f"converge failed:\n{result.tail()}")
    return seconds, result.changed(NAME), changed_tasks(result.stdout), slowest_tasks(result.stdout)


def changed_tasks(stdout):
    """Names of the tasks that reported a change (a re-converge should have none)."""
    names, task = [], None
    for line in stdout.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK [") : line.rfind("]")]
        elif line.startswith("changed: [") and task and task not in names:
            names.append(task)
    return names


def slowest_tasks(stdout, count=8):
    """profile_tasks' summary lines (slowest first): 'role : task ---- 1.23s'."""
    lines = [line for line in stdout.splitlines() if line.rstrip().endswith("s") and " -----" in line]
    return lines[:count]


def session_seconds(user):
    """Wall time of an interactive pty session that prints OUTPUT_MB of text."""
    typed = f"head -c {OUTPUT_MB * 1024 * 1024} /dev/zero | tr '\\\\0' x | fold -w 100\nexit\n"
    result = in_box(
        "TIMEFORMAT=%R; { time ssh -tt -i /root/.ssh/bench -o StrictHostKeyChecking=no "
        f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR {user}@127.0.0.1 >/dev/null "
        f"<<'TYPED'\n{typed}TYPED\n}} 2>&1"
    )
    return float(result.stdout.strip().splitlines()[-1])


def bench_sessions():
    in_box(
        "ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/bench && for u in rec plain; do "
        "useradd -m -s /bin/bash $u && install -d -o $u -m 700 /home/$u/.ssh && "
        "install -o $u -m 600 /root/.ssh/bench.pub /home/$u/.ssh/authorized_keys && "
        "install -D -m 644 /root/.ssh/bench.pub /etc/ssh/authorized_keys/$u; done"
    )
    rows = {}
    for user in ("plain", "rec"):
        rows[user] = statistics.median(session_seconds(user) for _run in range(REPEATS))
    recorded = in_box("du -cb /var/log/bastion/*_rec_*.data | tail -1").stdout.split()[0]
    # The recordings really hold the output (REPEATS sessions of OUTPUT_MB each).
    assert int(recorded) >= REPEATS * OUTPUT_MB * 1024 * 1024, recorded
    return rows


def ship_run():
    since = in_box("date +%s").stdout.strip()
    in_box("systemctl start bastion-ship-logs.service")
    time.sleep(0.5)
    log = in_box(f"journalctl -u bastion-ship-logs -o cat --since @{since} | grep 'shipped:'").stdout
    fields = dict(kv.split("=") for kv in log.strip().splitlines()[-1].split() if "=" in kv)
    return int(fields["requests"]), float(fields["seconds"]), int(fields["uploaded"])


HAND_MADE = """
import os, time, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="http://moto:5000", region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))
d = "/var/log/bastion"
started = time.monotonic()
n = 0
for name in sorted(os.listdir(d)):
    s3.upload_file(os.path.join(d, name), "BUCKET", "handmade/" + name, ExtraArgs={"ServerSideEncryption": "AES256"})
    n += 1
print(n, time.monotonic() - started)
"""


def bench_shipping():
    in_box("systemctl start bastion-ship-logs.service")  # the sessions' recordings first
    in_box(
        f"cd /var/log/bastion && for i in $(seq 1 {RECORDINGS // 2}); do "
        "s=$(printf 'bench%027d' $i); head -c 8192 /dev/urandom > 2024-01-01_00-00-00_rec_$s.data; "
        "head -c 1024 /dev/urandom > 2024-01-01_00-00-00_rec_$s.time; done"
    )
    first = ship_run()
    again = ship_run()
    out = in_box(
        "set -a; . /etc/bastion/aws.env; set +a; python3 - <<'PY'\n" + HAND_MADE.replace("BUCKET", BUCKET) + "PY"
    ).stdout.split()
    hand_made = (int(out[0]), float(out[1]))
    return first, again, hand_made


def empty_bucket(s3):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def main():
    os.chdir(ROOT)
    s3 = boto3.client(
        "s3", endpoint_url=MOTO, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    s3.create_bucket(Bucket=BUCKET)
    stop_container()
    try:
        start_container()
        with tempfile.TemporaryDirectory(prefix="bench-bastion-") as tmp:
            workdir = Path(tmp)
            (workdir / "site.yml").write_text(PLAYBOOK)
            first, first_changed, _tasks, first_slowest = converge(workdir)
            again, again_changed, again_tasks, again_slowest = converge(workdir)
        sessions = bench_sessions()
        ship_first, ship_again, hand_made = bench_shipping()
    finally:
        stop_container()
        empty_bucket(s3)

    print("\n## Converge (Debian 12 container)\n")
    print("| run | seconds | changed |\n|---|---:|---:|")
    print(f"| first converge | {first:.1f} | {first_changed} |")
    print(f"| idempotent re-converge | {again:.1f} | {again_changed} |")
    print(f"\nre-converge / first: {again / first:.2f}")
    print(f"tasks changed on the re-converge: {', '.join(again_tasks) or 'none'}")
    for label, lines in (("first converge", first_slowest), ("re-converge", again_slowest)):
        print(f"\nslowest tasks of the {label}:\n" + "\n".join("    " + line for line in lines))

    print(f"\n## {OUTPUT_MB} MB of output through an interactive session (median of {REPEATS})\n")
    print("| session | seconds | MB/s |\n|---|---:|---:|")
    for label, user in (("unrecorded (baseline)", "plain"), ("recorded with script", "rec")):
        print(f"| {label} | {sessions[user]:.2f} | {OUTPUT_MB / sessions[user]:.1f} |")
    print(f"\nrecorded / unrecorded time: {sessions['rec'] / sessions['plain']:.2f}")
    print(f"recorded / unrecorded throughput: {sessions['plain'] / sessions['rec']:.2f}")

    print(f"\n## Shipping {RECORDINGS} new recordings to S3 (the baseline also re-sends the sessions' few files)\n")
    print("| run | uploads | requests | seconds |\n|---|---:|---:|---:|")
    uploads, seconds = hand_made
    print(f"| hand-made: copy everything, every run (baseline) | {uploads} | {uploads} | {seconds:.2f} |")
    print(f"| role: first run | {ship_first[2]} | {ship_first[0]} | {ship_first[1]:.2f} |")
    print(f"| role: run with nothing new | {ship_again[2]} | {ship_again[0]} | {ship_again[1]:.2f} |")
    print(f"\nnothing-new run / hand-made run: requests {ship_again[0]}/{hand_made[0]}, "
          f"time {ship_again[1] / hand_made[1]:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
