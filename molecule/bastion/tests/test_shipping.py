"""Recordings reach S3 encrypted, only once, and are never deleted before S3 holds them.

The attacks on what S3 holds are in test_tamper.py, the latency in test_latency.py."""

import uuid

import pytest
from conftest import LOG_DIR, SEE_ALL, SSE, audit_key, shipped_parts

OLD = "2020-01-01_00-00-00_alice_{}"  # plus a fresh 32-character suffix per test run


def s3_body(s3, bastion, name):
    return s3.get_object(Bucket=bastion.bucket, Key=f"logs/{name}")["Body"].read()


def assert_shipped(s3, bastion, name):
    head = s3.head_object(Bucket=bastion.bucket, Key=f"logs/{name}")
    sse, kms_key = SSE[bastion.name]
    assert head["ServerSideEncryption"] == sse
    assert head.get("SSEKMSKeyId") == kms_key


def fake_old_recording(bastion, tag):
    """A recording that looks three days old, named uniquely (the buckets outlive a run)."""
    key = OLD.format(uuid.uuid4().hex)
    bastion.check(
        f"cd {LOG_DIR} && for e in data time; do echo {tag} > {key}.$e; chown root:root {key}.$e; "
        f"chmod 600 {key}.$e; touch -d '3 days ago' {key}.$e; done"
    )
    return key


@pytest.fixture(scope="module")
def shipped(bastion, client):
    """One fresh session, then a shipping run once no session writes any more."""
    key = audit_key(client.session(bastion, "alice", ["echo SHIP-ME"]).stdout)
    bastion.check(f"timeout 30 sh -c 'while {SEE_ALL} pgrep -x script >/dev/null; do sleep 0.5; done'")
    ok, lines = bastion.ship_logs()
    assert ok, lines
    return key


def test_recordings_arrive_encrypted_and_whole(s3, bastion, shipped):
    for ext in ("data", "time"):
        name = f"{shipped}.{ext}"
        assert_shipped(s3, bastion, name)
        assert s3_body(s3, bastion, name) == bastion.host.file(f"{LOG_DIR}/{name}").content
    assert b"SHIP-ME" in s3_body(s3, bastion, f"{shipped}.data")


def test_the_users_changelog_is_shipped_per_host(s3, bastion, shipped):
    body = shipped_parts(s3, bastion.bucket, f"logs/{bastion.name}/users_changelog.txt")
    assert b"Creating user account for alice" in body


def test_a_run_with_nothing_new_sends_no_request(bastion, shipped):
    ok, lines = bastion.ship_logs()
    assert ok, lines
    assert "uploaded=0 " in lines and "requests=0 " in lines


def test_with_s3_down_nothing_is_deleted_and_the_next_run_catches_up(s3, bastion, client, shipped):
    old = fake_old_recording(bastion, "offline")
    with bastion.s3_unreachable():
        new = audit_key(client.session(bastion, "alice", ["echo WHILE-S3-IS-DOWN"]).stdout)
        ok, lines = bastion.ship_logs()
        assert not ok
        assert "S3 is unreachable" in lines and "nothing deleted" in lines
        for name in (old, new):
            for ext in ("data", "time"):
                assert bastion.host.file(f"{LOG_DIR}/{name}.{ext}").exists

    ok, lines = bastion.ship_logs()
    assert ok, lines
    for ext in ("data", "time"):
        assert_shipped(s3, bastion, f"{old}.{ext}")
        assert_shipped(s3, bastion, f"{new}.{ext}")
        # The old one, now confirmed in S3, is past retention; the new one stays.
        assert not bastion.host.file(f"{LOG_DIR}/{old}.{ext}").exists
        assert bastion.host.file(f"{LOG_DIR}/{new}.{ext}").exists
    assert s3_body(s3, bastion, f"{old}.data") == b"offline\n"
    assert b"WHILE-S3-IS-DOWN" in s3_body(s3, bastion, f"{new}.data")


def test_an_old_recording_missing_from_s3_is_kept_and_shipped_again(s3, bastion, shipped):
    """The job's state says shipped, S3 says 404 (lifecycle rule, operator): keep it."""
    # A timer-started run in between would rewrite the state this test edits.
    bastion.check(
        "systemctl stop bastion-ship-logs.timer && "
        "timeout 60 sh -c 'while systemctl is-active -q bastion-ship-logs.service; do sleep 0.5; done'"
    )
    old = fake_old_recording(bastion, "vanished")
    bastion.check(
        'python3 -c \'import json, os, sys; p = "/var/lib/bastion/shipped.json"; s = json.load(open(p)); '
        "s.update({os.path.basename(f): [os.stat(f).st_size, os.stat(f).st_mtime_ns] for f in sys.argv[1:]}); "
        f'json.dump(s, open(p, "w"))\' {LOG_DIR}/{old}.data {LOG_DIR}/{old}.time'
    )
    ok, lines = bastion.ship_logs()
    bastion.check("systemctl start bastion-ship-logs.timer")
    assert ok, lines
    assert f"{old}.data is not in S3 any more" in lines, lines
    for ext in ("data", "time"):
        assert bastion.host.file(f"{LOG_DIR}/{old}.{ext}").exists

    ok, lines = bastion.ship_logs()
    assert ok, lines
    for ext in ("data", "time"):
        assert_shipped(s3, bastion, f"{old}.{ext}")
        assert not bastion.host.file(f"{LOG_DIR}/{old}.{ext}").exists
