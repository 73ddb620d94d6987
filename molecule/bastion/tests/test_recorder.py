"""Attacks on the recordings by an ordinary bastion user, over real ssh from the client.

R1: no program the user can run holds a privilege over recordings (the SHELL= trick of
a setgid `script` with python3 and perl, script -a/-c on a known name, `: >`, truncate,
ln, mv, rm, reading another user's recording). R2: the recorder is out of reach
(signals, ptrace, its memory); killing one's own shell ends the session, recorded.
R3: typed input is recorded whatever the terminal shows (stty -echo, TERM=dumb,
~/.inputrc).
"""

import re
import subprocess

import pytest
from conftest import LOG_DIR, SEE_ALL, audit_key, wait_for

# Each prints ATTACK-OK:<what> when it got at the recordings, ATTACK-FAILED:<what> otherwise.
PYTHON_ATTACK = r"""
import os, sys
d = "/var/log/bastion"
own, other = os.environ["OWN"], os.environ["OTHER"]
print("EGID=%d GROUPS=%s" % (os.getegid(), sorted(os.getgroups())))
def attempt(what, action):
    try:
        action()
        print("ATTACK-OK:" + what)
    except OSError as err:
        print("ATTACK-FAILED:%s:%s" % (what, err.strerror))
attempt("list", lambda: os.listdir(d))
attempt("read-other", lambda: open(os.path.join(d, other + ".data"), "rb").read())
attempt("append-own", lambda: open(os.path.join(d, own + ".data"), "ab").write(b"PLANTED"))
attempt("truncate-own", lambda: os.truncate(os.path.join(d, own + ".time"), 0))
attempt("plant", lambda: open(os.path.join(d, "2020-01-01_00-00-00_bob_" + "P" * 32 + ".data"), "xb").close())
attempt("rename-own", lambda: os.rename(os.path.join(d, own + ".data"), os.path.join(d, own + ".moved")))
"""

PERL_ATTACK = r"""BEGIN {
  if (opendir(my $d, "/var/log/bastion")) { print "ATTACK-OK:list\n" }
  else { print "ATTACK-FAILED:list:$!\n" }
  if (open(my $f, ">>", "/var/log/bastion/$ENV{OWN}.data")) {
    print $f "PLANTED"; close $f; print "ATTACK-OK:append-own\n" }
  else { print "ATTACK-FAILED:append-own:$!\n" }
}
"""


def fingerprint(bastion, *keys):
    """Names, sizes and checksums of these recordings, read as root."""
    files = " ".join(f"{LOG_DIR}/{k}.{e}" for k in keys for e in ("data", "time"))
    return bastion.check(f"ls -ln {files} | awk '{{print $3, $4, $5, $9}}'; md5sum {files}")


@pytest.fixture
def earlier(bastion, client):
    """A finished recording of alice (she knows its key) and one of bob."""
    alice = audit_key(client.session(bastion, "alice", ["echo ALICE-EARLIER"]).stdout)
    bob = audit_key(client.session(bastion, "bob", ["echo BOB-SECRET-OUTPUT"]).stdout)
    bastion.check(f"timeout 30 sh -c 'while {SEE_ALL} pgrep -x script >/dev/null; do sleep 0.5; done'")
    return alice, bob


@pytest.mark.parametrize("interpreter", ["python3", "perl"])
def test_the_shell_trick_gives_no_hold_on_recordings(bastion, client, earlier, interpreter):
    own, other = earlier
    bastion.check(f"rm -f {LOG_DIR}/*_bob_PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP.data")
    before = fingerprint(bastion, own, other)
    if interpreter == "python3":
        setup = f"cat > /tmp/attack.py <<'EOF'\n{PYTHON_ATTACK}\nEOF"
        code = "exec(open('/tmp/attack.py').read())"
        attack = f'OWN={own} OTHER={other} SHELL=/usr/bin/python3 script -q -c "{code}" /dev/null </dev/null'
    else:
        setup = f"cat > /tmp/attack.pl <<'EOF'\n{PERL_ATTACK}\nEOF"
        attack = f"OWN={own} SHELL=/usr/bin/perl script -q -c /tmp/attack.pl /dev/null </dev/null"
    result = client.session(bastion, "alice", [setup, attack, "echo ATTACK-DONE"])
    out = result.stdout
    assert "ATTACK-DONE" in out, out
    # Matched at line starts: the typed source of the attack is echoed too.
    assert re.search(r"(?m)^ATTACK-FAILED:list:", out), out
    assert not re.search(r"(?m)^ATTACK-OK:", out), out
    assert fingerprint(bastion, own, other) == before
    assert not bastion.run(f"ls {LOG_DIR}/*PPPPPPPP*").stdout.strip()


def test_script_on_a_known_name_and_the_shells_own_tools_change_nothing(bastion, client, earlier):
    own, other = earlier
    before = fingerprint(bastion, own, other)
    commands = [
        f"script -q -a -c 'echo PLANTED-BY-APPEND' {LOG_DIR}/{own}.data </dev/null; echo APPEND=$?",
        f"script -q -c true {LOG_DIR}/{other}.data </dev/null; echo EMPTY=$?",
        f": > {LOG_DIR}/{own}.data; echo COLON=$?",
        f"truncate -s 0 {LOG_DIR}/{own}.time; echo TRUNCATE=$?",
        f"ln {LOG_DIR}/{own}.data /tmp/hardlink; echo LN=$?",
        f"ln -s {LOG_DIR}/{own}.data /tmp/symlink && cat /tmp/symlink; echo SYMLINK=$?",
        f"mv {LOG_DIR}/{own}.data /tmp/moved; echo MV=$?",
        f"rm -f {LOG_DIR}/{own}.data; echo RM=$?",
        f"cat {LOG_DIR}/{other}.data; echo CAT=$?",
        f"ls {LOG_DIR}; echo LS=$?",
    ]
    out = client.session(bastion, "alice", commands).stdout
    for what in ("APPEND", "EMPTY", "COLON", "TRUNCATE", "LN", "SYMLINK", "MV", "RM", "CAT", "LS"):
        status = re.search(rf"\b{what}=(\d+)", out)
        assert status and status.group(1) != "0", f"{what} succeeded:\n{out}"
    assert "BOB-SECRET-OUTPUT" not in out
    assert fingerprint(bastion, own, other) == before


def test_recordings_and_their_folder_are_roots_alone(bastion, client):
    key = audit_key(client.session(bastion, "alice", ["true"]).stdout)
    for ext in ("data", "time"):
        f = bastion.host.file(f"{LOG_DIR}/{key}.{ext}")
        assert (f.user, f.group, f.mode) == ("root", "root", 0o600)
    folder = bastion.host.file(LOG_DIR)
    assert (folder.user, folder.group, folder.mode) == ("root", "root", 0o700)
    assert bastion.check(f"getfacl --omit-header --skip-base {LOG_DIR}").strip() == ""


def test_the_role_adds_no_setuid_or_setgid_file(bastion):
    """Before: the base image the bastion was made from; after: the converged bastion."""
    image = bastion.check("cat /etc/debian_version").split(".")[0]
    image = "ironclad/debian:13" if not image.isdigit() or int(image) >= 13 else "ironclad/debian:12"
    find = "find / -xdev -type f -perm /6000 2>/dev/null | sort"
    before = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "sh", image, "-c", find], capture_output=True, text=True, check=True
    ).stdout.split()
    after = bastion.check(find).split()
    assert sorted(set(after) - set(before)) == []
    script = bastion.host.file("/usr/bin/script")
    assert (script.user, script.group, script.mode) == ("root", "root", 0o755)


def test_the_user_cannot_signal_trace_or_read_the_recorder(bastion, client):
    # bash's parent is script, which runs as root; its parent is the recorder.
    commands = [
        "P=$PPID; echo PARENT=$P",
        "kill -STOP $P; echo STOP=$?",
        "kill -TERM $P; echo TERM=$?",
        "kill -KILL $P; echo KILL=$?",
        "cat /proc/$P/mem >/dev/null 2>&1; echo MEM=$?",
        "cat /proc/$P/environ >/dev/null 2>&1; echo ENVIRON=$?",
        "python3 -c 'import ctypes,os,sys; l=ctypes.CDLL(None,use_errno=True); "
        'r=l.ptrace(16,int(sys.argv[1]),0,0); print("PTRACE=%d" % (0 if r == 0 else ctypes.get_errno()))\' $P',
        "echo ALIVE-AFTER-ATTACKS",
    ]
    result = client.session(bastion, "alice", commands)
    out = result.stdout
    key = audit_key(out)
    for what in ("STOP", "TERM", "KILL", "MEM", "ENVIRON"):
        status = re.search(rf"\b{what}=(\d+)", out)
        assert status and status.group(1) != "0", f"{what} succeeded:\n{out}"
    ptrace = re.search(r"\bPTRACE=(\d+)", out)
    assert ptrace and ptrace.group(1) != "0", out
    # The session went on, recorded, to its end.
    data = bastion.check(f"cat {LOG_DIR}/{key}.data")
    assert "ALIVE-AFTER-ATTACKS" in data.replace("echo ALIVE-AFTER-ATTACKS", "")


def test_killing_ones_own_shell_ends_the_session_with_everything_recorded(bastion, client):
    result = client.session(bastion, "alice", ["echo BEFORE-KILL-$((2*3))", "kill -9 $$", "echo NEVER-RUN-$((1+1))"])
    key = audit_key(result.stdout)
    assert "NEVER-RUN-2" not in result.stdout
    data = bastion.check(f"cat {LOG_DIR}/{key}.data")
    assert "BEFORE-KILL-6" in data
    timing = bastion.check(f"cat {LOG_DIR}/{key}.time")
    assert "EXIT_CODE" in timing or "DURATION" in timing
    # [/]: the pattern must not match the command line of the shell that runs pgrep.
    assert wait_for(lambda: bastion.run(f"{SEE_ALL} pgrep -f '[/]usr/bin/script.*{key}'").rc != 0, 10)


# Typed one line at a time, each once the shell waits for it: typed ahead, a line would
# be echoed by the terminal before `stty -echo` or readline had their say.
def test_input_typed_with_echo_off_is_recorded(bastion, client):
    result = client.paced_session(bastion, "alice", ["stty -echo", "touch /tmp/typed-blind-$((40+2))", "stty echo"])
    assert "touch /tmp/typed-blind" not in result.stdout  # the terminal showed nothing of it
    data = bastion.check(f"cat {LOG_DIR}/{audit_key(result.stdout)}.data")
    assert "touch /tmp/typed-blind-$((40+2))" in data


LONG = "echo LONG-LINE-START-" + "x" * 300 + "-LONG-LINE-END"


def test_a_long_line_on_a_dumb_terminal_is_recorded_whole(bastion, client):
    result = client.paced_session(bastion, "alice", ["echo TERM=[$TERM]", LONG], env="TERM=dumb")
    assert "TERM=[dumb]" in result.stdout
    assert LONG not in result.stdout  # readline showed the line scrolled, not whole
    data = bastion.check(f"cat {LOG_DIR}/{audit_key(result.stdout)}.data")
    assert LONG in data


def test_the_users_inputrc_does_not_hide_what_was_typed(bastion, client):
    bastion.check(
        "printf 'set horizontal-scroll-mode on\\nset echo-control-characters off\\n' > /home/alice/.inputrc"
        " && chown alice: /home/alice/.inputrc"
    )
    try:
        result = client.paced_session(bastion, "alice", [LONG])
        data = bastion.check(f"cat {LOG_DIR}/{audit_key(result.stdout)}.data")
        assert LONG in data
    finally:
        bastion.check("rm -f /home/alice/.inputrc")
