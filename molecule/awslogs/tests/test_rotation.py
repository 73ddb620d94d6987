"""Log rotation loses and repeats nothing for the files the role ships.

2,000 numbered lines are written to a shipped file while the real logrotate rotates it
by rename + create; every line must arrive in moto's CloudWatch Logs exactly once. Each
file starts with the same header line (a CSV header, an application's banner): the
plugin identifies a file by the md5 of its first line by default, so the new file used
to look like the old one, and the lines written after the rotation were never read.
copytruncate cannot be made safe (what is written between the agent's last read and the
truncate is only in the copy, which the agent does not read): the role refuses a
logrotate rule that copytruncates a shipped file, naming the file and the rule, or only
warns when asked to.
"""

import collections
import os
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "fixtures"))
from agent_playbook import run_role  # noqa: E402

testinfra_hosts = ["ironclad-awslogs-debian12"]
HOST = "ironclad-awslogs-debian12"
INSTANCE_ID = "i-0123456789abcdef0"
PREFIX = (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "awslogs-prefix").read_text().strip()
ROTATED = "/var/log/ironclad-test/rotated.log"
LINES = 2000
RULE = "/etc/logrotate.d/ironclad-test-rotated"
COPYTRUNCATE_RULE = "/etc/logrotate.d/ironclad-test-app"

# Appends lines FIRST..LAST one at a time (open, write, close, as a logger that reopens
# does), a little apart so the agent reads in between; after line ROTATE_AT it rotates
# with logrotate and the new file starts with the same header line.
WRITER = """
import subprocess, sys, time
path, run, first, last, rotate_at, rule = sys.argv[1:7]
def line(text):
    with open(path, "a") as f:
        f.write(text + "\\n")
if first == "1":
    line("# rotation test " + run)
for n in range(int(first), int(last) + 1):
    line("%s line %05d" % (run, n))
    if n == int(rotate_at):
        subprocess.run(["logrotate", "-f", rule], check=True)
        line("# rotation test " + run)
    time.sleep(0.004)
"""


def numbered(logs, run):
    return [m for m in all_messages(logs, f"{PREFIX}/rotated", INSTANCE_ID) if run in m]


def all_messages(logs, group, stream):
    out, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {}
        try:
            page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, **kwargs)
        except logs.exceptions.ResourceNotFoundException:
            return out
        out.extend(e["message"] for e in page["events"])
        if not page["events"] or page["nextForwardToken"] == token:
            return out
        token = page["nextForwardToken"]


def role_vars(**overrides):
    """The converge's settings for this host, as run_role needs them spelled out."""
    values = {
        "awslogs_region": "us-east-1",
        "awslogs_endpoint_url": "http://moto:5000",
        "awslogs_log_group_prefix": PREFIX,
        "awslogs_ca_bundle": "/etc/ssl/ironclad-test-ca.pem",
        "awslogs_bastion_changelog_enabled": True,
        "awslogs_streams": [
            {"name": "app", "file": "/var/log/ironclad-test/app.log", "log_group_name": f"{PREFIX}/app",
             "datetime_format": "%Y-%m-%d %H:%M:%S", "time_zone": "UTC", "initial_position": "start_of_file",
             "buffer_duration": 5000},
            {"name": "trace", "file": "/var/log/ironclad-test/trace.log", "log_group_name": f"{PREFIX}/trace",
             "log_stream_name": "{instance_id}-trace", "datetime_format": "%Y-%m-%d %H:%M:%S", "time_zone": "UTC",
             "initial_position": "start_of_file", "multi_line_start_pattern": "{datetime_format}"},
            {"name": "rotated", "file": ROTATED, "log_group_name": f"{PREFIX}/rotated",
             "initial_position": "start_of_file"},
        ],
    }  # fmt: skip
    values.update(overrides)
    return values


def test_rename_and_create_rotation_loses_and_repeats_nothing(host, logs):
    run = uuid.uuid4().hex[:8]
    host.run_test(
        "printf '%%s\\n' %s %s %s %s %s > %s",
        f"{ROTATED} {{",
        "    rotate 3",
        "    create 0644 root root",
        "    missingok",
        "}",
        RULE,
    )
    # A log lives for a while before its first rotation: the agent follows the file
    # before the rotation starts (else the first file, renamed away unread, proves nothing).
    host.run_test("python3 -c %s %s %s 1 3 0 %s", WRITER, ROTATED, run, RULE)
    deadline = time.monotonic() + 90
    while f"{run} line 00003" not in numbered(logs, run):
        assert time.monotonic() < deadline, "the agent did not start following the file"
        time.sleep(2)
    host.run_test("python3 -c %s %s %s 4 %s %s %s", WRITER, ROTATED, run, str(LINES), str(LINES // 2), RULE)
    assert host.file(ROTATED + ".1").exists, "logrotate did not rotate"

    expected = {f"{run} line {n:05d}" for n in range(1, LINES + 1)}
    deadline = time.monotonic() + 180
    while True:
        got = numbered(logs, run)
        counts = collections.Counter(got)
        missing = expected - set(counts)
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(3)
    duplicated = {m: c for m, c in counts.items() if c > 1 and not m.startswith("#")}
    print(f"rename+create rotation: {LINES} lines written, {len(missing)} missing, {len(duplicated)} duplicated")
    assert sorted(missing)[:10] == [] and len(missing) == 0
    assert duplicated == {}
    # Both files' header lines arrived, once each.
    assert counts[f"# rotation test {run}"] == 2


@pytest.fixture
def copytruncate_rule(host):
    host.run_test(
        "printf '%%s\\n' %s %s %s > %s",
        "/var/log/ironclad-test/*.log {",
        "    copytruncate",
        "}",
        COPYTRUNCATE_RULE,
    )
    yield COPYTRUNCATE_RULE
    host.run_test("rm -f %s", COPYTRUNCATE_RULE)


def test_copytruncate_rule_for_a_shipped_file_is_refused(host, copytruncate_rule):
    conf_before = host.file("/etc/awslogs/awslogs.conf").md5sum
    # A new stream too: a refused run must not have half applied it.
    extra = {"name": "extra", "file": "/var/log/ironclad-test/extra.log", "log_group_name": f"{PREFIX}/extra"}
    settings = role_vars()
    settings["awslogs_streams"] = settings["awslogs_streams"] + [extra]
    result = run_role(HOST, "awslogs", settings)
    assert result.returncode != 0, result.stdout[-3000:]
    assert f"{copytruncate_rule} line 1" in result.stdout, result.stdout[-3000:]
    assert "/var/log/ironclad-test/app.log" in result.stdout
    assert "copytruncate" in result.stdout
    assert host.file("/etc/awslogs/awslogs.conf").md5sum == conf_before


def test_copytruncate_only_warns_when_asked_to(host, copytruncate_rule):
    result = run_role(HOST, "awslogs", role_vars(awslogs_logrotate_copytruncate="warn"))
    assert result.returncode == 0, result.stdout[-3000:]
    assert "copytruncate" in result.stdout and copytruncate_rule in result.stdout
    assert "lines written between the agent's last read and the truncate are lost" in result.stdout
