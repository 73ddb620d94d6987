"""The pure functions of the bastion's host-side scripts: recording names (their one
definition), thresholds, the recorder's command lines, the sync's name checks and key
parsing, the shipper's object keys, expiry and events."""

import base64
import io
import json
import os
import struct
import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "roles/bastion/files"))
import bastion_names  # noqa: E402
import bastion_record  # noqa: E402
import bastion_replay  # noqa: E402
import bastion_s3  # noqa: E402
import ship_logs  # noqa: E402
import sync_users  # noqa: E402

SUFFIX = "A" * 16 + "z" * 8 + "0123456789"[:8]


# Recording names


def test_a_name_is_its_time_user_and_suffix_and_parses_back():
    name = bastion_names.recording_name("alice", when=0, suffix=SUFFIX)
    assert name == f"1970-01-01_00-00-00_alice_{SUFFIX}"
    assert bastion_names.parse_name(name) == {"stamp": "1970-01-01_00-00-00", "user": "alice", "suffix": SUFFIX}
    assert bastion_names.parse_file_name(name + ".data") == (name, "data")
    assert bastion_names.parse_file_name(name + ".time") == (name, "time")


def test_new_names_have_a_fresh_random_suffix():
    names = {bastion_names.recording_name("bob") for _ in range(50)}
    assert len(names) == 50
    assert all(bastion_names.parse_name(n)["user"] == "bob" for n in names)


@pytest.mark.parametrize("user", ["Alice", "bob\n", "a/b", "", "-x", "a b"])
def test_names_are_refused_for_accounts_a_file_name_cannot_carry(user):
    with pytest.raises(ValueError):
        bastion_names.recording_name(user, when=0, suffix=SUFFIX)


@pytest.mark.parametrize(
    "filename",
    [
        "users_changelog.txt",
        f"1970-01-01_00-00-00_alice_{SUFFIX}.moved",
        f"1970-01-01_00-00-00_alice_{SUFFIX[:-1]}.data",
        f"1970-01-01_00-00-00_alice_{SUFFIX}\n.data",
        f"1970-01-01_00-00-00_alice_{SUFFIX}.data\n",
        f".1970-01-01_00-00-00_alice_{SUFFIX}.data",
    ],
)
def test_other_files_are_not_recordings(filename):
    assert bastion_names.parse_file_name(filename) is None


def test_sync_names_match_whole_names_only():
    assert bastion_names.SYNC_NAME.match("alice-2")
    for name in ("alice\n", "Alice", "1a", "a_b", "", "a.b"):
        assert not bastion_names.SYNC_NAME.match(name), name


# Thresholds


def test_low_space_names_what_is_short():
    mib = 1 << 20
    assert bastion_names.low_space(10 * mib, 500, 4 * mib, 100) is None
    assert "3 MiB free, below the 4 MiB" in bastion_names.low_space(3 * mib, 500, 4 * mib, 100)
    assert "99 inodes free, below the 100" in bastion_names.low_space(10 * mib, 99, 4 * mib, 100)


def test_free_space_is_what_unprivileged_writers_have():
    st = types.SimpleNamespace(f_bavail=10, f_bfree=20, f_frsize=4096, f_favail=7, f_ffree=9)
    assert bastion_names.free_space("/x", lambda _path: st) == (40960, 7)


# The recorder


def entry(name="alice", uid=1001, gid=1001, home="/home/alice"):
    return types.SimpleNamespace(pw_name=name, pw_uid=uid, pw_gid=gid, pw_dir=home)


def test_the_user_is_the_one_sudo_names():
    found = bastion_record.session_user({"SUDO_UID": "1001"}, getpwuid=lambda uid: entry(uid=uid))
    assert found.pw_uid == 1001


@pytest.mark.parametrize("environ", [{}, {"SUDO_UID": "x"}, {"SUDO_UID": "0"}, {"SUDO_UID": "-1"}])
def test_without_sudos_uid_or_as_root_there_is_no_session(environ):
    with pytest.raises(bastion_record.Refused):
        bastion_record.session_user(environ, getpwuid=lambda uid: entry(uid=uid))


def test_an_account_name_a_recording_cannot_carry_is_refused():
    with pytest.raises(bastion_record.Refused, match="cannot be recorded"):
        bastion_record.session_user({"SUDO_UID": "5"}, getpwuid=lambda uid: entry(name="Bad.Name"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("xterm-256color", "xterm-256color"), ("dumb", "dumb"), ("../../x", "dumb"), ("a b", "dumb"), ("", "dumb")],
)
def test_term_is_passed_on_only_when_plain(value, expected):
    assert bastion_record.safe_value(value, bastion_record.SAFE_TERM, "dumb") == expected


def test_the_shell_drops_to_the_user_with_a_clean_environment():
    command = bastion_record.shell_command(entry(), "xterm", "C.UTF-8", "/etc/bastion/bashrc", True)
    assert command.startswith("exec /usr/bin/setpriv --reuid=1001 --regid=1001 --init-groups --no-new-privs -- ")
    assert "/usr/bin/env -i HOME=/home/alice USER=alice LOGNAME=alice SHELL=/bin/bash" in command
    assert command.endswith("/bin/bash --noprofile --rcfile /etc/bastion/bashrc -i")
    assert "--no-new-privs" not in bastion_record.shell_command(entry(), "xterm", "C", "/rc", False)


def test_a_home_with_shell_characters_stays_one_word():
    command = bastion_record.shell_command(entry(home="/home/a;rm -rf /"), "xterm", "C", "/rc", True)
    assert "'HOME=/home/a;rm -rf /'" in command


def test_script_logs_input_unless_turned_off():
    paths = {"data": "/r/N.data", "time": "/r/N.time"}
    argv = bastion_record.script_argv(paths, True, "exec x")
    assert argv[:3] == ["/usr/bin/script", "-q", "-f"]
    assert argv[3:5] == ["--log-io", "/r/N.data"]
    assert argv[5:] == ["--log-timing", "/r/N.time", "-m", "advanced", "-c", "exec x"]
    assert bastion_record.script_argv(paths, False, "exec x")[3:5] == ["--log-out", "/r/N.data"]


def test_recordings_are_created_exclusively_and_private(tmp_path):
    old = os.umask(0)
    try:
        name, paths = bastion_record.create_recording(str(tmp_path), "alice")
    finally:
        os.umask(old)
    assert bastion_names.parse_name(name)["user"] == "alice"
    for path in paths.values():
        assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_name_taken_already_is_never_reused(tmp_path, monkeypatch):
    taken = f"1970-01-01_00-00-00_alice_{SUFFIX}"
    (tmp_path / f"{taken}.data").write_text("someone else's")
    names = iter([taken, "1970-01-01_00-00-00_alice_" + "B" * 32])
    monkeypatch.setattr(bastion_record, "recording_name", lambda user: next(names))
    name, _paths = bastion_record.create_recording(str(tmp_path), "alice")
    assert name.endswith("B" * 32)
    assert (tmp_path / f"{taken}.data").read_text() == "someone else's"
    assert not (tmp_path / f"{taken}.time").exists()


# The user sync

CFG = {"users_max_length": 32, "users_reserved": ["backup"], "admin_user": "admin", "unrecorded_users": ["ops"]}


def refusal(relative, managed=(), accounts=(), groups=()):
    return sync_users.refusal(
        CFG, relative, set(managed), account_exists=lambda n: n in accounts, group_exists=lambda n: n in groups
    )


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("a/b.pub", "nested"),
        ("alice.txt", "not a .pub"),
        ("alice\n.pub", "does not match"),
        ("Alice.pub", "does not match"),
        ("a" * 33 + ".pub", "longer than 32"),
        ("admin.pub", "admin user"),
        ("ops.pub", "unrecorded account"),
        ("backup.pub", "reserved"),
        ("root.pub", "reserved"),
    ],
)
def test_the_sync_refuses_bad_and_reserved_names(relative, reason):
    assert reason in refusal(relative)


def test_existing_accounts_and_groups_are_refused_unless_the_sync_made_them():
    assert "account of that name exists" in refusal("local.pub", accounts={"local"})
    assert "group of that name exists" in refusal("sudo.pub", groups={"sudo"})
    assert refusal("alice.pub", managed={"alice"}, accounts={"alice"}, groups={"alice"}) is None
    assert refusal("alice.pub") is None


def key_line(kind="ssh-ed25519"):
    blob = struct.pack(">I", len(kind)) + kind.encode() + b"\0" * 32
    return f"{kind} {base64.b64encode(blob).decode()} me@host"


def test_only_well_formed_key_lines_are_kept_without_options():
    body = "\n".join(
        [
            key_line(),
            'command="sh" ' + key_line(),
            "ssh-ed25519 bm90IGEga2V5 not a key",
            "ssh-rsa " + key_line().split()[1],  # the blob names another type
            "# comment",
        ]
    )
    assert sync_users.public_keys(body.encode()) == key_line() + "\n"
    assert sync_users.public_keys(b"nothing here\n") is None


def test_key_files_are_written_once_root_style(tmp_path):
    assert sync_users.write_keys(str(tmp_path), "alice", "k1\n") is True
    assert sync_users.write_keys(str(tmp_path), "alice", "k1\n") is False
    assert (tmp_path / "alice").stat().st_mode & 0o777 == 0o644
    assert sync_users.write_keys(str(tmp_path), "alice", "k2\n") is True
    assert (tmp_path / "alice").read_text() == "k2\n"
    sync_users.remove_keys(str(tmp_path), "alice")
    sync_users.remove_keys(str(tmp_path), "alice")
    assert not (tmp_path / "alice").exists()


def test_a_symlink_in_place_of_a_key_file_is_not_followed(tmp_path):
    (tmp_path / "target").write_text("x")
    (tmp_path / "alice").symlink_to(tmp_path / "target")
    with pytest.raises(OSError):
        sync_users.write_keys(str(tmp_path), "alice", "k\n")
    assert (tmp_path / "target").read_text() == "x"


# The shipper


def test_object_keys_of_recordings_and_of_other_files():
    cfg = {"logs_prefix": "logs/"}
    name = f"1970-01-01_00-00-00_alice_{SUFFIX}.data"
    assert ship_logs.object_key(cfg, name) == "logs/" + name
    assert ship_logs.object_key(cfg, "users_changelog.txt", hostname="b1") == "logs/b1/users_changelog.txt"


def test_expiry_takes_old_recordings_shipped_as_they_are_now():
    old, new, changed, unshipped = (f"1970-01-01_00-00-0{i}_alice_{SUFFIX}.data" for i in range(4))
    files = {old: [1, 100], new: [1, 900], changed: [2, 100], unshipped: [1, 100], "users_changelog.txt": [1, 100]}
    state = {old: {"final": [1, 100]}, new: {"final": [1, 900]}, changed: {"final": [1, 100]}}
    state["users_changelog.txt"] = {"final": [1, 100], "sent": 1}
    state[unshipped] = {"sent": 1}
    assert ship_logs.expiry_candidates(files, state, cutoff_ns=500) == [old]


def test_the_state_of_earlier_versions_reads_as_whole_uploads(tmp_path):
    path = tmp_path / "shipped.json"
    path.write_text(json.dumps({"a.data": [3, 7], "b.data": {"sent": 5}}))
    assert ship_logs.load_state(str(path)) == {"a.data": {"final": [3, 7]}, "b.data": {"sent": 5}}


def test_a_growing_file_is_sent_in_parts_from_where_the_last_one_ended():
    assert ship_logs.next_part(10, 0) == (0, 10)
    assert ship_logs.next_part(10, 10) is None
    assert ship_logs.next_part(25, 10, limit=8) == (10, 18)
    # Shorter than what was sent: replaced or truncated, so from the start.
    assert ship_logs.next_part(4, 10) == (0, 4)


GEN = "20261203T164500Z-0123abcd"


def test_part_keys_sort_in_byte_order_and_parse_back():
    keys = [bastion_s3.part_key("logs/k.data", GEN, a, b) for a, b in ((0, 9), (9, 100), (100, 1000))]
    assert keys == sorted(keys)
    assert keys[1] == f"logs/k.data.parts/{GEN}/000000000009-000000000100"
    assert [bastion_s3.part_span("logs/k.data", k) for k in keys] == [(GEN, 0, 9), (GEN, 9, 100), (GEN, 100, 1000)]
    for other in (
        f"logs/k.time.parts/{GEN}/000000000000-000000000001",
        f"logs/k.data.parts/{GEN}/0-1",
        "logs/k.data.parts/000000000000-000000000001",
        f"logs/k.data.parts/{GEN}/000000000009-000000000001",
        "logs/k.data",
    ):
        assert bastion_s3.part_span("logs/k.data", other) is None, other


def test_generations_are_utc_stamps_with_a_random_suffix():
    first, second = bastion_s3.new_generation(when=0), bastion_s3.new_generation(when=0)
    assert first.startswith("19700101T000000Z-") and first != second
    assert bastion_s3.GENERATION.match(first)


def test_stitching_takes_the_latest_generation_from_byte_zero_without_gaps():
    key, part, old = "logs/k.data", bastion_s3.part_key, "20200101T000000Z-ffffffff"
    parts = [part(key, GEN, 0, 10), part(key, GEN, 10, 20), part(key, GEN, 30, 35), part(key, old, 0, 99)]
    assert bastion_s3.stitch(key, parts) == ([part(key, GEN, 0, 10), part(key, GEN, 10, 20)], 20)
    assert bastion_s3.stitch(key, [part(key, GEN, 5, 9)]) == ([], 0)
    assert bastion_s3.stitch(key, []) == ([], 0)


def test_every_put_of_the_shipper_is_conditional():
    """The header is set on the request itself: Debian 12's botocore has no IfNoneMatch."""
    params = {"headers": {}}
    bastion_s3._if_none_match(params=params, model=None)
    assert params["headers"] == {"If-None-Match": "*"}


def test_sha256_in_s3s_header_form():
    assert bastion_s3.b64(bastion_s3.sha256_of([b"ab", b"c"])) == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="


def test_new_events_are_read_from_where_the_last_run_stopped(tmp_path):
    path = tmp_path / "events.log"
    assert ship_logs.new_events(str(path), 0) == ([], 0)
    path.write_text(json.dumps({"message": "ending the session A"}) + "\n" + "garbled\n" + '{"message": "half')
    messages, offset = ship_logs.new_events(str(path), 0)
    assert messages == ["ending the session A", "garbled"]
    assert ship_logs.new_events(str(path), offset) == ([], offset)
    with open(path, "a") as handle:
        handle.write('"}\n')
    assert ship_logs.new_events(str(path), offset)[0] == ["half"]
    path.write_text("")
    assert ship_logs.new_events(str(path), offset) == ([], 0)


# The replay command


def test_replay_takes_an_audit_key_and_passes_other_options_to_scriptreplay():
    key = f"2026-12-03_16-27-46_alice_{SUFFIX}"
    assert bastion_replay.parse_args([key]) == (key, False, False, [])
    assert bastion_replay.parse_args([key, "--from-s3", "-m", "0.01", "--print"]) == (key, True, True, ["-m", "0.01"])
    for bad in ([], ["--help"], ["../../etc/shadow"], [key + ".data"], [key[:-1]]):
        with pytest.raises(bastion_replay.Failed):
            bastion_replay.parse_args(bad)


def test_replay_runs_the_standard_scriptreplay_line():
    paths = {"data": "/d/K.data", "time": "/d/K.time"}
    assert bastion_replay.replay_command(paths, ["--stream", "in"]) == [
        "scriptreplay", "--log-timing", "/d/K.time", "--log-io", "/d/K.data", "--stream", "in",
    ]  # fmt: skip


def test_replay_uses_local_files_only_when_both_exist(tmp_path):
    key = f"2026-12-03_16-27-46_alice_{SUFFIX}"
    (tmp_path / f"{key}.data").write_text("d")
    assert bastion_replay.local_paths(str(tmp_path), key) is None
    (tmp_path / f"{key}.time").write_text("t")
    assert bastion_replay.local_paths(str(tmp_path), key) == {
        "data": str(tmp_path / f"{key}.data"),
        "time": str(tmp_path / f"{key}.time"),
    }


def test_replay_takes_only_an_object_with_the_sha256_of_its_bytes():
    digest = bastion_s3.sha256_of([b"as shipped"])
    assert bastion_replay.unchanged_since_shipping(bastion_s3.b64(digest), digest) is None
    other = bastion_s3.sha256_of([b"as forged!"])
    assert "do not match" in bastion_replay.unchanged_since_shipping(bastion_s3.b64(digest), other)
    # A multipart upload's composite checksum, a plain upload's CRC32 (no SHA-256), none.
    for checksum in (bastion_s3.b64(digest) + "-1", None, ""):
        assert "no SHA-256" in bastion_replay.unchanged_since_shipping(checksum, digest)


class FakeS3:
    def __init__(self, objects):
        self.objects = objects

    def get_object(self, Bucket, Key, ChecksumMode=None):  # noqa: N803 - boto3's names
        body, checksum = self.objects[Key]
        response = {"Body": io.BytesIO(body)}
        if checksum:
            response["ChecksumSHA256"] = checksum
        return response


def test_replay_refuses_a_download_that_is_not_as_shipped(tmp_path):
    shipped = bastion_s3.b64(bastion_s3.sha256_of([b"REAL"]))
    s3 = FakeS3({"ok": (b"REAL", shipped), "forged": (b"FAKE", shipped), "plain": (b"FAKE", None)})
    with open(tmp_path / "out", "wb") as handle:
        bastion_replay.copy_checked(s3, "b", "ok", handle)
        for key in ("forged", "plain"):
            with pytest.raises(bastion_replay.Failed, match=f"s3://b/{key} is not as the shipper sent it"):
                bastion_replay.copy_checked(s3, "b", key, handle)


# Shipping requests (a session's end starts the shipper through a path unit)


def test_a_session_end_leaves_one_request_and_the_shipper_takes_all_there_are(tmp_path):
    for name in ("2026-01-01_00-00-00_alice_x", "2026-01-01_00-00-01_bob_y", "2026-01-01_00-00-00_alice_x"):
        bastion_record.request_shipping(str(tmp_path), name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-01-01_00-00-00_alice_x", "2026-01-01_00-00-01_bob_y"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in tmp_path.iterdir())
    assert ship_logs.take_requests(str(tmp_path)) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_request_that_cannot_be_left_is_logged_not_raised(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(bastion_record.syslog, "syslog", lambda _level, message: logged.append(message))
    bastion_record.request_shipping(str(tmp_path / "missing"), "2026-01-01_00-00-00_alice_x")
    assert logged and "the timer will" in logged[0]
    bastion_record.request_shipping("", "2026-01-01_00-00-00_alice_x")  # shipping off: nothing asked
    assert len(logged) == 1


def test_the_recorder_does_not_follow_a_link_planted_as_a_request(tmp_path, monkeypatch):
    target = tmp_path / "elsewhere"
    (tmp_path / "requests").mkdir()
    (tmp_path / "requests" / "name").symlink_to(target)
    logged = []
    monkeypatch.setattr(bastion_record.syslog, "syslog", lambda _level, message: logged.append(message))
    bastion_record.request_shipping(str(tmp_path / "requests"), "name")
    assert not target.exists() and logged


def test_no_requests_folder_is_no_requests(tmp_path):
    assert ship_logs.take_requests(str(tmp_path / "missing")) == 0
    assert ship_logs.take_requests("") == 0
