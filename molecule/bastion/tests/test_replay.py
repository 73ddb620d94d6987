"""R4: `bastion-replay AUDIT-KEY` replays a session with util-linux scriptreplay, from the
recordings folder or from S3 (whole objects, or the parts of a session never closed):
what the terminal showed, and what was typed. What S3 holds is replayed only as the
shipper sent it (the SHA-256 of its bytes)."""

import shlex

from conftest import LOG_DIR, SEE_ALL, audit_key, replace_in_s3, shipped_parts, sse, wait_for

REPLAY = "/usr/local/sbin/bastion-replay"
INSTANT = "--maxdelay 0.001"  # no pauses: the replay takes no longer than its output
EXTS = ("data", "time")


def in_s3(s3, bastion, key):
    try:
        s3.head_object(Bucket=bastion.bucket, Key=f"logs/{key}")
    except s3.exceptions.ClientError:
        return False
    return True


def shipped_whole(s3, bastion, key):
    """Run the shipper until both files of KEY are in S3 whole. The session's end starts a
    run too, but a start merged into a run already past its last pass waits for the timer:
    the time to S3 is test_latency's, these tests are about the replay."""
    return wait_for(lambda: after_a_run(bastion, lambda: all(in_s3(s3, bastion, f"{key}.{ext}") for ext in EXTS)), 90)


def after_a_run(bastion, check):
    bastion.ship_logs()  # its outcome is test_shipping's and test_tamper's
    return check()


def no_downloads_left(bastion):
    return bastion.check("ls /tmp | grep -c bastion-replay- || true").strip() == "0"


def test_a_session_replays_what_was_shown_and_what_was_typed(bastion, client):
    key = audit_key(client.session(bastion, "alice", ["echo REPLAY-$((6*7))"]).stdout)
    shown = bastion.check(f"{REPLAY} {key} {INSTANT}")
    assert "REPLAY-42" in shown, shown
    typed = bastion.check(f"{REPLAY} {key} {INSTANT} --stream in")
    assert "echo REPLAY-$((6*7))" in typed and "REPLAY-42" not in typed, typed


def test_a_shipped_session_replays_from_s3(s3, bastion, client):
    key = audit_key(client.session(bastion, "alice", ["echo FROM-S3-$((7*7))"]).stdout)
    assert shipped_whole(s3, bastion, key)
    shown = bastion.check(f"{REPLAY} {key} --from-s3 {INSTANT}")
    assert "FROM-S3-49" in shown, shown
    # The downloaded files are gone after the replay.
    assert no_downloads_left(bastion)


def test_a_replaced_s3_copy_is_refused_and_not_replayed(s3, bastion, client):
    """Someone holding the bucket's credentials replaces a shipped recording with other
    bytes of the same length: by a multipart upload (a composite checksum, no SHA-256 of
    the whole) and by a plain PUT (the SDK's CRC32). Neither replays."""
    key = audit_key(client.session(bastion, "alice", ["echo GENUINE-$((8*8))"]).stdout)
    assert shipped_whole(s3, bastion, key)
    real = s3.get_object(Bucket=bastion.bucket, Key=f"logs/{key}.data")["Body"].read()
    assert b"GENUINE-64" in real
    forged = real.replace(b"GENUINE-64", b"FORGERY-64")

    def plain_put(s3, bastion, name, data):
        s3.put_object(Bucket=bastion.bucket, Key=f"logs/{name}", Body=data, **sse(bastion))

    for replace in (replace_in_s3, plain_put):
        replace(s3, bastion, f"{key}.data", forged)
        assert s3.get_object(Bucket=bastion.bucket, Key=f"logs/{key}.data")["Body"].read() == forged
        result = bastion.run(f"{REPLAY} {key} --from-s3 {INSTANT}")
        assert result.rc == 2 and "FORGERY-64" not in result.stdout, (replace.__name__, result.stdout)
        assert f"logs/{key}.data is not as the shipper sent it" in result.stderr, (replace.__name__, result.stderr)
        assert no_downloads_left(bastion)
    # The local copy, within its retention, still replays as recorded.
    assert "GENUINE-64" in bastion.check(f"{REPLAY} {key} {INSTANT}")


def test_a_session_never_closed_replays_from_its_parts(s3, bastion, client):
    """A live session shipped in parts (the host could die before it closes)."""
    client.run(
        # exec: the pid is timeout's, which passes a kill on to ssh.
        f"nohup sh -c \"exec timeout 120 ssh -tt alice@{bastion.name} <<'TYPED'\necho PARTS-\\$((9*9))\nsleep 40\n"
        'exit\nTYPED" >/tmp/live-replay.out 2>&1 & echo $! >/tmp/live-replay.pid'
    )
    try:
        assert wait_for(lambda: "PARTS-81" in client.run("cat /tmp/live-replay.out").stdout), "no session"
        key = audit_key(client.run("cat /tmp/live-replay.out").stdout)
        assert wait_for(lambda: b"PARTS-81" in bastion.host.file(f"{LOG_DIR}/{key}.data").content)
        parts = lambda: b"PARTS-81" in shipped_parts(s3, bastion.bucket, f"logs/{key}.data")  # noqa: E731
        assert wait_for(lambda: after_a_run(bastion, parts), 60)
        assert not in_s3(s3, bastion, f"{key}.data")  # still live: parts only
        result = bastion.run(f"{REPLAY} {key} --from-s3 {INSTANT}")
        assert result.rc == 0, result.stderr
        assert "PARTS-81" in result.stdout, result.stdout
        assert f"{key}.data was never shipped whole" in result.stderr, result.stderr
        assert no_downloads_left(bastion)
    finally:
        client.run("kill $(cat /tmp/live-replay.pid)")
        bastion.run(f"timeout 30 sh -c 'while {SEE_ALL} pgrep -x script >/dev/null; do sleep 0.5; done'")


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
