#!/usr/bin/python3 -Is
# Managed by Ansible (role ironclad.aws.bastion).
"""The session recorder: runs as root, reached only through `sudo -n` from the wrapper.

- Takes no arguments and reads no environment but sudo's (SUDO_UID names the user;
  TERM and LANG are checked before they are passed on).
- Refuses the session when the recordings folder is below its free-space or free-inode
  threshold, with a message saying so.
- Creates NAME.data and NAME.time with O_EXCL in a root-only folder (files 0600 root),
  then runs util-linux `script` as root, logging input and output
  (`--log-io NAME.data --log-timing NAME.time -m advanced`); script's child drops to
  the user (setpriv: uid, gid, the user's groups, no new privileges) and runs bash with
  the root-owned rc file and a clean environment.
- Watches the folder while the session runs: below a threshold, it logs why and ends
  the session (the user's shell, then script) within seconds.

The user cannot signal, stop or trace this process or script (both root); ending one's
own shell ends the session, and script writes out what it has.
Runs on the distribution's Python 3 (3.7 on Amazon Linux 2).
"""

import contextlib
import json
import os
import pwd
import re
import shlex
import signal
import subprocess
import sys
import syslog
import time

sys.path.insert(0, "/usr/local/lib/bastion")

from bastion_names import free_space, low_space, recordable_user, recording_name  # noqa: E402

CONFIG = "/etc/bastion/recorder.json"
# Values of TERM and LANG passed on to script and the shell; anything else is replaced.
SAFE_TERM = re.compile(r"\A[A-Za-z0-9][-A-Za-z0-9.+_]{0,63}\Z")
SAFE_LANG = re.compile(r"\A[A-Za-z0-9_.@-]{1,64}\Z")
# The recorder must not be stopped or interrupted from the terminal; script's children
# get the default dispositions back.
IGNORED = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGPIPE)


class Refused(Exception):
    """The session cannot start: the message is for the user and the log."""


def load_config(path=CONFIG):
    with open(path, encoding="utf-8") as handle:
        cfg = json.load(handle)
    for key in ("log_dir", "state_dir", "min_free_bytes", "min_free_inodes", "log_input", "watch_seconds"):
        if key not in cfg:
            raise ValueError(f"{path} has no {key!r}")
    return cfg


def session_user(environ, getpwuid=pwd.getpwuid):
    """The account sudo ran us for (SUDO_UID: sudo sets it, the user cannot)."""
    uid = environ.get("SUDO_UID", "")
    if not uid.isdigit():
        raise Refused("the recorder runs only through sudo from the session wrapper")
    if int(uid) == 0:
        raise Refused("root sessions are not recorded by this wrapper")
    try:
        entry = getpwuid(int(uid))
    except KeyError:
        raise Refused(f"uid {uid} has no account") from None
    if not recordable_user(entry.pw_name):
        raise Refused(f"the account name {entry.pw_name!r} cannot be recorded")
    return entry


def safe_value(value, pattern, fallback):
    return value if value and pattern.match(value) else fallback


# The recording's files stay open here until script has exited: the shipper takes a
# recording no process holds open for closed and ships it whole, once.
HELD = []


def create_recording(log_dir, user, attempts=5):
    """NAME and the paths of NAME.data and NAME.time, both created here with O_EXCL (held open: HELD)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for _attempt in range(attempts):
        name = recording_name(user)
        paths = {ext: os.path.join(log_dir, f"{name}.{ext}") for ext in ("data", "time")}
        created = []
        try:
            for path in paths.values():
                HELD.append(os.open(path, flags, 0o600))
                created.append(path)
        except FileExistsError:
            for path in created:
                os.unlink(path)
            continue
        return name, paths
    raise Refused(f"no unused recording name after {attempts} attempts")


def shell_command(entry, term, lang, rcfile, no_new_privileges):
    """What script runs (as root, through /bin/sh -c): drop to the user, clean environment."""
    setpriv = ["/usr/bin/setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}"]
    setpriv += ["--init-groups"] + (["--no-new-privs"] if no_new_privileges else [])
    env = [
        "/usr/bin/env",
        "-i",
        "HOME=" + entry.pw_dir,
        "USER=" + entry.pw_name,
        "LOGNAME=" + entry.pw_name,
        "SHELL=/bin/bash",
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "TERM=" + term,
        "LANG=" + lang,
    ]
    shell = ["/bin/bash", "--noprofile", "--rcfile", rcfile, "-i"]
    return "exec " + " ".join(shlex.quote(part) for part in setpriv + ["--"] + env + shell)


def script_argv(paths, log_input, command):
    """util-linux script, advanced timing format, input logged unless turned off."""
    log = ["--log-io", paths["data"]] if log_input else ["--log-out", paths["data"]]
    return ["/usr/bin/script", "-q", "-f"] + log + ["--log-timing", paths["time"], "-m", "advanced", "-c", command]


def children(pid):
    """Direct children of PID (the user's shell, for script)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def record_event(state_dir, user, key, message):
    """A line for the journal and, for the shipper to report, the state folder's events file."""
    syslog.syslog(syslog.LOG_ERR, message)
    line = json.dumps({"time": time.time(), "user": user, "key": key, "message": message}, sort_keys=True)
    try:
        path = os.path.join(state_dir, "recorder-events.log")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError as err:
        syslog.syslog(syslog.LOG_ERR, f"cannot write the events file: {err}")


def request_shipping(request_dir, name):
    """Leave a request for the shipper: its path unit starts a run while the folder is not
    empty, and again after a run that began before this request (a `systemctl start` then
    would be merged into that run, after its last look at the folder)."""
    if not request_dir:
        return
    try:
        fd = os.open(os.path.join(request_dir, name), os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        os.close(fd)
    except OSError as err:
        syslog.syslog(syslog.LOG_ERR, f"cannot ask for {name} to be shipped (the timer will): {err}")


class Recorder:
    def __init__(self, cfg, entry, name, paths):
        self.cfg = cfg
        self.entry = entry
        self.name = name
        self.paths = paths
        self.proc = None
        self.ended = None

    def reason_to_end(self):
        try:
            room = free_space(self.cfg["log_dir"], os.statvfs)
        except OSError as err:
            return f"the recordings folder cannot be read: {err}"
        reason = low_space(room[0], room[1], self.cfg["min_free_bytes"], self.cfg["min_free_inodes"])
        if reason:
            return f"the recordings folder is low on space ({reason})"
        for path in self.paths.values():
            if not os.path.isfile(path):
                return f"{path} is gone"
        return None

    def end(self, reason):
        """The user's shell first (HUP, then KILL), then script, which writes out and exits."""
        self.ended = reason
        message = f"ending the session {self.name} of {self.entry.pw_name}: {reason}"
        record_event(self.cfg["state_dir"], self.entry.pw_name, self.name, message)
        for sig in (signal.SIGHUP, signal.SIGKILL):
            for child in children(self.proc.pid):
                with contextlib.suppress(OSError):
                    os.killpg(child, sig)
                with contextlib.suppress(OSError):
                    os.kill(child, sig)
            if self.wait(2):
                return
        self.proc.terminate()
        if not self.wait(3):
            self.proc.kill()

    def wait(self, seconds):
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def run(self, argv, env, umask):
        def child_setup():
            for sig in IGNORED:
                signal.signal(sig, signal.SIG_DFL)
            os.umask(umask)

        self.proc = subprocess.Popen(argv, env=env, preexec_fn=child_setup, close_fds=True)  # noqa: S603

        def hang_up(_signum, _frame):  # sshd's hangup or a stop of the system: script ends
            if self.proc.poll() is None:
                self.proc.terminate()

        signal.signal(signal.SIGHUP, hang_up)
        signal.signal(signal.SIGTERM, hang_up)
        while not self.wait(self.cfg["watch_seconds"]):
            reason = self.reason_to_end()
            if reason:
                self.end(reason)
                break
        return self.proc.wait()


def main(argv, environ):
    syslog.openlog("bastion-record", syslog.LOG_PID, syslog.LOG_AUTHPRIV)
    for sig in IGNORED:
        signal.signal(sig, signal.SIG_IGN)
    try:
        if len(argv) > 1:
            raise Refused("the recorder takes no arguments")
        if os.geteuid() != 0:
            raise Refused("the recorder must run as root (through sudo)")
        try:
            cfg = load_config()
        except (OSError, ValueError) as err:
            raise Refused(f"no recorder configuration ({err})") from None
        entry = session_user(environ)
        umask = os.umask(0o077)
        try:
            room = free_space(cfg["log_dir"], os.statvfs)
        except OSError as err:
            raise Refused(f"the recordings folder cannot be read ({err})") from None
        reason = low_space(room[0], room[1], cfg["min_free_bytes"], cfg["min_free_inodes"])
        if reason:
            message = f"refused a session of {entry.pw_name}: the recordings folder is low on space ({reason})"
            record_event(cfg["state_dir"], entry.pw_name, None, message)
            raise Refused(f"the recordings folder is low on space ({reason})")
        try:
            name, paths = create_recording(cfg["log_dir"], entry.pw_name)
        except OSError as err:
            raise Refused(f"the recording cannot be created ({err})") from None
    except Refused as err:
        syslog.syslog(syslog.LOG_ERR, f"session refused: {err}")
        sys.stderr.write(
            f"This bastion cannot record your session, so it does not start: {err}. "
            "Please tell the bastion's administrators.\n"
        )
        return 1

    term = safe_value(environ.get("TERM"), SAFE_TERM, "dumb")
    lang = safe_value(environ.get("LANG"), SAFE_LANG, "C.UTF-8")
    sys.stdout.write(f"\nNOTE: This SSH session will be recorded\nAUDIT KEY: {name}\n\n")
    sys.stdout.flush()
    recorder = Recorder(cfg, entry, name, paths)
    syslog.syslog(syslog.LOG_INFO, f"session {name} of {entry.pw_name} started")
    command = shell_command(entry, term, lang, cfg.get("rcfile", "/etc/bastion/bashrc"), cfg.get("no_new_privs", True))
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SHELL": "/bin/sh", "TERM": term, "LANG": lang}
    status = recorder.run(script_argv(paths, cfg["log_input"], command), env, umask)
    # Before anything is written to a terminal that may be gone.
    for fd in HELD:
        os.close(fd)
    request_shipping(cfg.get("ship_requests"), name)
    if recorder.ended:
        sys.stderr.write(f"\r\nThis session was ended: {recorder.ended}.\r\n")
        return 1
    syslog.syslog(syslog.LOG_INFO, f"session {name} of {entry.pw_name} ended (exit {status})")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv, os.environ))
