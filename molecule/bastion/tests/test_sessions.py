"""An interactive session of a synced user is recorded, replays, and keeps users apart."""

import re
import time

from conftest import LOG_DIR, RECORDING, SEE_ALL, audit_key


def test_a_session_is_recorded_and_its_commands_read_back(bastion, client):
    result = client.session(bastion, "alice", ["echo HELLO-$((6*7))"], options="-o LogLevel=INFO")
    assert result.rc == 0, result.stderr
    assert "Authorized access only" in result.stderr  # the banner
    assert "This SSH session will be recorded" in result.stdout
    key = audit_key(result.stdout)
    assert RECORDING.match(key) and RECORDING.match(key)["user"] == "alice"

    data = bastion.check(f"cat {LOG_DIR}/{key}.data")
    assert "echo HELLO-$((6*7))" in data  # the typed command
    assert "HELLO-42" in data  # and what it printed
    # util-linux's advanced format: I(nput), O(utput), H(eader) and S(ignal) entries.
    timing = bastion.check(f"cat {LOG_DIR}/{key}.time").splitlines()
    assert timing and all(re.match(r"^[IOHS] \d+\.\d+ ", line) for line in timing)
    assert any(line.startswith("I ") for line in timing)
    replay = bastion.check(f"scriptreplay --divisor 1000 -T {LOG_DIR}/{key}.time -B {LOG_DIR}/{key}.data")
    assert "HELLO-42" in replay


def test_a_user_cannot_list_recordings_read_others_or_see_their_processes(bastion, client):
    # bob keeps a session open meanwhile: his recording and his processes exist.
    before = set(bastion.recordings("bob"))
    client.run(f"nohup sh -c \"ssh -tt bob@{bastion.name} <<'TYPED'\nsleep 120\nexit\nTYPED\" >/dev/null 2>&1 &")
    for _attempt in range(40):
        new = set(bastion.recordings("bob")) - before
        if new and bastion.run(f"{SEE_ALL} pgrep -u bob -f 'sleep 120'").rc == 0:
            break
        time.sleep(0.25)
    assert new, "bob's session did not start"
    bob_key = new.pop()

    result = client.session(
        bastion,
        "alice",
        [
            f"ls {LOG_DIR}; echo LS=$?",
            f"cat {LOG_DIR}/{bob_key}.data; echo CAT=$?",
            "echo USERS=[$(ps -eo user= | sort -u | tr '\\n' ' ')]",
        ],
    )
    out = result.stdout
    assert "LS=2" in out and "Permission denied" in out
    assert "CAT=1" in out
    assert "USERS=[alice ]" in out
    # bob's processes existed at that moment: hidepid hid them from alice.
    assert bastion.run(f"{SEE_ALL} pgrep -u bob").rc == 0
    bastion.run(f"{SEE_ALL} pkill -u bob -x sleep")
