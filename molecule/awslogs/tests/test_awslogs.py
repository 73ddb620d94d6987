"""Lines appended on the host arrive in (moto's) CloudWatch Logs, once each, across restarts.

The classic agent in the Debian 12 container ships to the shared moto server; the test
reads the events back with boto3 from the Docker host. The host is set up like an
IMDSv2-only instance: no static keys, and a metadata service on 169.254.169.254 that
answers a GET only with a session token (tests/golden/fake_imds.py), so the agent's
credentials and the instance id in its stream names come from there.
"""

import collections
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

testinfra_hosts = ["ironclad-awslogs-debian12"]
HOSTNAME = "ironclad-awslogs-debian12"
# What the stand-in metadata service answers for instance-id.
INSTANCE_ID = "i-0123456789abcdef0"
PREFIX = (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "awslogs-prefix").read_text().strip()
APP_LOG = "/var/log/ironclad-test/app.log"
# Every line this module wrote to the app log; each must arrive exactly once.
SENT = []


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


def test_metadata_service_answers_only_with_a_token(host):
    """The set-up is really IMDSv2-only: a plain GET is refused, PUT-then-GET works."""
    url = "http://169.254.169.254/latest/meta-data/instance-id"
    plain = host.run("curl -s -o /dev/null -w '%%{http_code}' %s", url)
    assert plain.stdout == "401"
    token = host.check_output(
        "curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token"
    )
    assert host.check_output("curl -sf -H 'X-aws-ec2-metadata-token: %s' %s", token, url) == INSTANCE_ID


def test_streams_are_named_after_the_instance_id_not_the_hostname(host, logs):
    """IMDSv2 only: the unpatched plugin fell back to the hostname ("Unable to get
    instance id") because it asked for the instance id with a plain GET."""
    # Three lines: the app log is new, and with file_fingerprint_lines = 1-3 a file is
    # read once it holds three.
    lines = [stamped(f"which stream {n}") for n in range(3)]
    append(host, APP_LOG, *lines)
    wait_for(logs, f"{PREFIX}/app", INSTANCE_ID, lines)
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=f"{PREFIX}/app")["logStreams"]]
    assert streams == [INSTANCE_ID]
    journal = host.check_output("journalctl -u awslogsd --no-pager")
    assert "Unable to get instance id" not in journal


def test_no_static_credentials_on_an_instance_with_a_role(host):
    """The credentials come from the metadata service's role endpoint (pointing at moto)."""
    assert not host.file("/etc/awslogs/credentials").exists
    unit = host.file("/etc/systemd/system/awslogsd.service").content_string
    assert "AWS_SHARED_CREDENTIALS_FILE" not in unit
    environ = host.check_output("tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value awslogsd)/environ")
    assert "AWS_ACCESS_KEY_ID" not in environ


def test_appended_lines_arrive_under_the_expected_group_and_stream(host, logs):
    lines = [stamped(f"line {n}") for n in range(3)]
    append(host, APP_LOG, *lines)
    got = wait_for(logs, f"{PREFIX}/app", INSTANCE_ID, lines)
    assert [m for m in got if m in lines] == lines


def test_restart_sends_nothing_twice_and_new_lines_still_arrive(host, logs):
    before = stamped("before restart")
    append(host, APP_LOG, before)
    wait_for(logs, f"{PREFIX}/app", INSTANCE_ID, [before])
    assert host.file("/var/lib/awslogs/agent-state").size > 0

    host.run_test("systemctl restart awslogsd")
    after = stamped("after restart")
    append(host, APP_LOG, after)
    # The new line follows the old ones in the file: had the agent started over, the old
    # lines would have been sent before it, so once it is in, any duplicate is too.
    got = wait_for(logs, f"{PREFIX}/app", INSTANCE_ID, [after])
    counts = collections.Counter(got)
    assert {line: counts[line] for line in SENT} == dict.fromkeys(SENT, 1)
    assert host.service("awslogsd").is_running


def test_multi_line_events_stay_together(host, logs):
    head = stamped("Traceback (most recent call last):")
    append(host, "/var/log/ironclad-test/trace.log", head, '  File "x.py", line 1', "ValueError: boom")
    expected = f'{head}\n  File "x.py", line 1\nValueError: boom'
    wait_for(logs, f"{PREFIX}/trace", f"{INSTANCE_ID}-trace", [expected])


def test_bastion_user_changelog_ships_by_default(host, logs):
    host.run_test("install -d -m 0750 /var/log/bastion")
    entry = f"user alice created {uuid.uuid4().hex[:8]}"
    append(host, "/var/log/bastion/users_changelog.txt", entry)
    wait_for(logs, f"{PREFIX}/bastion-users-changelog", INSTANCE_ID, [entry])


def test_auth_events_reach_the_auth_group(host, logs):
    # Debian 12 logs to the journal only; the role's rsyslog writes the auth log file.
    marker = f"ironclad-auth-{uuid.uuid4().hex[:8]}"
    host.run_test("logger -p authpriv.notice %s", marker)
    deadline = time.monotonic() + 90
    while not any(marker in m for m in messages(logs, f"{PREFIX}/auth", INSTANCE_ID)):
        if time.monotonic() > deadline:
            pytest.fail(f"{marker} did not arrive in {PREFIX}/auth/{INSTANCE_ID} within 90s")
        time.sleep(2)
    assert host.service("rsyslog").is_enabled


def test_agent_configuration_and_secrets(host):
    awscli = host.file("/etc/awslogs/awscli.conf").content_string
    assert "[plugins]\ncwlogs = cwlogs" in awscli
    assert "[default]\nregion = us-east-1" in awscli
    conf = host.file("/etc/awslogs/awslogs.conf").content_string
    assert "state_file = /var/lib/awslogs/agent-state" in conf
    assert f"[auth]\nfile = /var/log/auth.log\nlog_group_name = {PREFIX}/auth" in conf
    sections = {part.split("]", 1)[0]: part for part in conf.split("\n[")[1:]}
    for name in ("app", "trace", "rotated"):
        assert "\nfile_fingerprint_lines = 1-3\n" in sections[name], name
    # Each auth and changelog line starts with its own timestamp: one line identifies
    # the file, and a quiet host's first events ship at once.
    for name in ("auth", "bastion-users-changelog"):
        assert "\nfile_fingerprint_lines = 1\n" in sections[name], name
    assert host.service("awslogsd").is_enabled
    pins = host.check_output("/opt/awslogs/bin/pip freeze")
    assert "awscli==1.46.3" in pins and "awscli-cwlogs==1.4.6" in pins
