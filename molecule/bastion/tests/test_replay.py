"""R4: `bastion-replay AUDIT-KEY` replays a session with util-linux scriptreplay, from the
recordings folder or from S3: what the terminal showed, and what was typed."""

import shlex

from conftest import LOG_DIR, audit_key, wait_for

REPLAY = "/usr/local/sbin/bastion-replay"
INSTANT = "--maxdelay 0.001"  # no pauses: the replay takes no longer than its output


def in_s3(s3, bastion, key):
    try:
        s3.head_object(Bucket=bastion.bucket, Key=f"logs/{key}")
    except s3.exceptions.ClientError:
        return False
    return True


def test_a_session_replays_what_was_shown_and_what_was_typed(bastion, client):
    key = audit_key(client.session(bastion, "alice", ["echo REPLAY-$((6*7))"]).stdout)
    shown = bastion.check(f"{REPLAY} {key} {INSTANT}")
    assert "REPLAY-42" in shown, shown
    typed = bastion.check(f"{REPLAY} {key} {INSTANT} --stream in")
    assert "echo REPLAY-$((6*7))" in typed and "REPLAY-42" not in typed, typed


def test_a_shipped_session_replays_from_s3(s3, bastion, client):
    key = audit_key(client.session(bastion, "alice", ["echo FROM-S3-$((7*7))"]).stdout)
    assert wait_for(lambda: all(in_s3(s3, bastion, f"{key}.{ext}") for ext in ("data", "time")), 90)
    shown = bastion.check(f"{REPLAY} {key} --from-s3 {INSTANT}")
    assert "FROM-S3-49" in shown, shown
    # The downloaded files are gone after the replay.
    assert bastion.check("ls /tmp | grep -c bastion-replay- || true").strip() == "0"


def test_the_command_it_runs_is_the_standard_one(bastion, client):
    key = audit_key(client.session(bastion, "alice", ["echo PRINTED"]).stdout)
    printed = shlex.split(bastion.check(f"{REPLAY} {key} --print --stream in"))
    assert printed == [
        "scriptreplay", "--log-timing", f"{LOG_DIR}/{key}.time", "--log-io", f"{LOG_DIR}/{key}.data", "--stream", "in",
    ]  # fmt: skip
    assert "PRINTED" in bastion.check(" ".join(shlex.quote(part) for part in printed))


def test_what_is_not_an_audit_key_or_not_recorded_is_refused_clearly(bastion):
    for bad in ("../../etc/shadow", "2020-01-01_00-00-00_alice_short", ""):
        result = bastion.run(f"{REPLAY} {shlex.quote(bad)}")
        assert result.rc == 2 and ("is not an AUDIT KEY" in result.stderr or "usage:" in result.stderr), result.stderr
    unknown = "2020-01-01_00-00-00_alice_" + "Q" * 32
    result = bastion.run(f"{REPLAY} {unknown}")
    assert result.rc == 2, result.stderr
    assert f"logs/{unknown}.data does not exist, nor any part of it" in result.stderr, result.stderr


def test_only_root_can_replay(bastion):
    assert bastion.host.file(REPLAY).mode == 0o700
    assert bastion.host.file(REPLAY).user == "root"
