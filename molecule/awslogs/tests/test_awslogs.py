"""Lines appended on the host arrive in (moto's) CloudWatch Logs, once each, across restarts.

The classic agent in the Debian 12 container ships to the shared moto server; the test
reads the events back with boto3 from the Docker host.
"""

import collections
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

testinfra_hosts = ["ironclad-awslogs-debian12"]
HOSTNAME = "ironclad-awslogs-debian12"
PREFIX = (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "awslogs-prefix").read_text().strip()
APP_LOG = "/var/log/ironclad-test/app.log"
# Every line this module wrote to the app log; each must arrive exactly once.
SENT = []


@pytest.fixture(scope="module")
def logs():
    return boto3.client(
        "logs",
        endpoint_url=os.environ.get("IRONCLAD_MOTO_URL", "http://127.0.0.1:5000"),
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def messages(logs, group, stream):
    try:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in events]


def wait_for(logs, group, stream, expected, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        got = messages(logs, group, stream)
        if all(line in got for line in expected):
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{expected} did not arrive in {group}/{stream} within {timeout}s; got {got}")
        time.sleep(2)


def append(host, path, *lines):
    if path == APP_LOG:
        SENT.extend(lines)
    # One write: the agent ends a multi-line event when the file stays idle for a moment.
    host.run_test("printf '%%s\\n' " + " ".join(["%s"] * len(lines)) + " >> %s", *lines, path)


def stamped(text):
    return f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} {text} {uuid.uuid4().hex[:8]}"


def test_appended_lines_arrive_under_the_expected_group_and_stream(host, logs):
    lines = [stamped(f"line {n}") for n in range(3)]
    append(host, APP_LOG, *lines)
    got = wait_for(logs, f"{PREFIX}/app", HOSTNAME, lines)
    assert [m for m in got if m in lines] == lines


def test_restart_sends_nothing_twice_and_new_lines_still_arrive(host, logs):
    before = stamped("before restart")
    append(host, APP_LOG, before)
    wait_for(logs, f"{PREFIX}/app", HOSTNAME, [before])
    assert host.file("/var/lib/awslogs/agent-state").size > 0

    host.run_test("systemctl restart awslogsd")
    after = stamped("after restart")
    append(host, APP_LOG, after)
    # The new line follows the old ones in the file: had the agent started over, the old
    # lines would have been sent before it, so once it is in, any duplicate is too.
    got = wait_for(logs, f"{PREFIX}/app", HOSTNAME, [after])
    counts = collections.Counter(got)
    assert {line: counts[line] for line in SENT} == dict.fromkeys(SENT, 1)
    assert host.service("awslogsd").is_running


def test_multi_line_events_stay_together(host, logs):
    head = stamped("Traceback (most recent call last):")
    append(host, "/var/log/ironclad-test/trace.log", head, '  File "x.py", line 1', "ValueError: boom")
    expected = f'{head}\n  File "x.py", line 1\nValueError: boom'
    wait_for(logs, f"{PREFIX}/trace", f"{HOSTNAME}-trace", [expected])


def test_bastion_user_changelog_ships_by_default(host, logs):
    host.run_test("install -d -m 0750 /var/log/bastion")
    entry = f"user alice created {uuid.uuid4().hex[:8]}"
    append(host, "/var/log/bastion/users_changelog.txt", entry)
    wait_for(logs, f"{PREFIX}/bastion-users-changelog", HOSTNAME, [entry])


def test_auth_events_reach_the_auth_group(host, logs):
    # Debian 12 logs to the journal only; the role's rsyslog writes the auth log file.
    marker = f"ironclad-auth-{uuid.uuid4().hex[:8]}"
    host.run_test("logger -p authpriv.notice %s", marker)
    deadline = time.monotonic() + 90
    while not any(marker in m for m in messages(logs, f"{PREFIX}/auth", HOSTNAME)):
        if time.monotonic() > deadline:
            pytest.fail(f"{marker} did not arrive in {PREFIX}/auth/{HOSTNAME} within 90s")
        time.sleep(2)
    assert host.service("rsyslog").is_enabled


def test_agent_configuration_and_secrets(host):
    awscli = host.file("/etc/awslogs/awscli.conf").content_string
    assert "[plugins]\ncwlogs = cwlogs" in awscli
    assert "[default]\nregion = us-east-1" in awscli
    conf = host.file("/etc/awslogs/awslogs.conf").content_string
    assert "state_file = /var/lib/awslogs/agent-state" in conf
    assert f"[auth]\nfile = /var/log/auth.log\nlog_group_name = {PREFIX}/auth" in conf
    credentials = host.file("/etc/awslogs/credentials")
    assert (credentials.user, credentials.group, credentials.mode) == ("root", "root", 0o600)
    assert host.service("awslogsd").is_enabled
    pins = host.check_output("/opt/awslogs/bin/pip freeze")
    assert "awscli==1.46.3" in pins and "awscli-cwlogs==1.4.6" in pins
