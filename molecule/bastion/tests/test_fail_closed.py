"""R7: the recordings folder low on space or inodes stops sessions instead of losing them.

A small tmpfs mounted over the recordings folder stands for a full disk; the scenario's
thresholds are 4 MiB and 100 inodes (molecule.yml).
"""

import contextlib

import pytest
from conftest import LOG_DIR, SEE_ALL, wait_for

REFUSED = "cannot record your session"


@contextlib.contextmanager
def small_folder(bastion, size="16m", inodes=2000):
    bastion.check(f"mount -t tmpfs -o size={size},nr_inodes={inodes},mode=0700 bastion-test {LOG_DIR}")
    try:
        yield
    finally:
        bastion.run(f"{SEE_ALL} pkill -u alice")
        bastion.check(f"umount -l {LOG_DIR}")


@pytest.mark.parametrize("fill", ["space", "inodes"])
def test_a_full_folder_refuses_new_sessions_with_a_clear_message(bastion, client, fill):
    with small_folder(bastion):
        if fill == "space":
            bastion.check(f"dd if=/dev/zero of={LOG_DIR}/.filler bs=1M count=13 status=none")
        else:
            bastion.check(f"cd {LOG_DIR} && for i in $(seq 1 1950); do : > .f$i; done")
        result = client.session(bastion, "alice", ["echo SHOULD-NOT-RUN-$((5*5))"])
        assert result.rc != 0
        output = result.stdout + result.stderr
        assert REFUSED in output and "low on space" in output, output
        assert ("MiB free" if fill == "space" else "inodes free") in output
        assert "SHOULD-NOT-RUN-25" not in output
        assert "AUDIT KEY" not in output


def test_a_live_session_ends_when_the_folder_fills_and_the_shipper_reports_it(bastion, client):
    since = bastion.check("date +%s").strip()
    with small_folder(bastion):
        client.run(
            f"nohup sh -c \"timeout 120 ssh -tt alice@{bastion.name} <<'TYPED'\necho LIVE-\\$((3+4))\nsleep 60\n"
            'echo STILL-RECORDING-\\$((4+4))\nexit\nTYPED" >/tmp/live-session.out 2>&1 & echo $! >/tmp/live-session.pid'
        )
        assert wait_for(lambda: "LIVE-7" in client.run("cat /tmp/live-session.out").stdout), "the session did not start"
        # The disk fills under the session (here: root writes; a user's output would do the same).
        bastion.check(f"dd if=/dev/zero of={LOG_DIR}/.filler bs=1M count=13 status=none")
        assert wait_for(lambda: client.run("kill -0 $(cat /tmp/live-session.pid)").rc != 0, 20), "the session went on"
        out = client.run("cat /tmp/live-session.out").stdout
        assert "STILL-RECORDING-8" not in out
        assert "This session was ended" in out and "low on space" in out, out
        journal = bastion.check("journalctl -t bastion-record -o cat --no-pager | tail -20")
        assert "ending the session" in journal and "low on space" in journal, journal
        # The end of the session started a shipping run already; this one may merge into it.
        bastion.ship_logs()
        lines = bastion.check(f"journalctl -u bastion-ship-logs -o cat --no-pager --since @{since}")
        assert "recorder: ending the session" in lines, lines
        assert "the recordings folder is low on space" in lines, lines
