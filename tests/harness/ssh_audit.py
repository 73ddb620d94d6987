"""Debian's ssh-audit, run on a test host, and its findings as data.

ssh-audit's JSON carries no fail/warn notes before version 3, so the text output
(`-n`, no colours) is read: each `(kex) NAME -- [warn] text` line and its
`` `- [fail] text`` continuations give one finding per note; `(cve)` lines are fails
(ssh-audit prints them in red without a tag)."""

import re
from typing import NamedTuple

LINE = re.compile(r"^\((?P<section>[a-z]{3})\) (?P<rest>.*)$")
NOTE = re.compile(r"\[(?P<level>fail|warn|info)\] (?P<text>.*?)\s*$")
CONTINUATION = re.compile(r"^\s+`- \[(?P<level>fail|warn|info)\] (?P<text>.*?)\s*$")
# What Debian 12's ssh-audit 2.5.0 (2021) says of algorithms OpenSSH 9.2 offers that are
# newer than itself: the Terrapin marker of 2023, the sntrup761 name without
# @openssh.com, and sntrup761 itself, "experimental" until OpenSSH made it its default
# (9.0, 2022). ssh-audit 3.3.0 (Debian 13) reports each as info. 2.5.0 is only run
# against OpenSSH 9.2: it misreads OpenSSH 10's version and lists CVEs of 2000 to 2018
# against it. The sshd_policy README lists these notes.
NEWER_THAN_THE_TOOL = frozenset(
    {
        ("kex", "sntrup761x25519-sha512", "warn", "unknown algorithm"),
        ("kex", "sntrup761x25519-sha512@openssh.com", "warn", "using experimental algorithm"),
        ("kex", "kex-strict-s-v00@openssh.com", "warn", "unknown algorithm"),
    }
)


class Finding(NamedTuple):
    section: str
    algorithm: str
    level: str
    text: str


class Audit(NamedTuple):
    rc: int
    version: str
    findings: list
    output: str

    def problems(self, allowed=NEWER_THAN_THE_TOOL):
        """The fails and warnings, less the ones `allowed` names."""
        return [f for f in self.findings if f.level in ("fail", "warn") and tuple(f) not in allowed]

    def levels(self, level):
        return sorted({f.algorithm for f in self.findings if f.level == level})


def parse(output: str) -> list:
    findings, current = [], None
    for line in output.splitlines():
        match = LINE.match(line)
        if match:
            section, rest = match["section"], match["rest"]
            name = rest.split(" -- ", 1)[0].split(" (", 1)[0].strip()
            current = (section, name)
            if section == "cve":
                findings.append(Finding("cve", name, "fail", rest.split(" -- ", 1)[-1].strip()))
                continue
            if " -- " in rest:
                note = NOTE.search(rest.split(" -- ", 1)[1])
                if note:
                    findings.append(Finding(section, name, note["level"], note["text"]))
            continue
        match = CONTINUATION.match(line)
        if match and current:
            findings.append(Finding(*current, match["level"], match["text"]))
    return findings


def run_audit(host, target="127.0.0.1", port=22) -> Audit:
    """ssh-audit on `host` (a testinfra host) against target:port. The rate test of
    ssh-audit 3 (DHEat) is skipped: it times connections, and its result is an info."""
    usage = host.run("ssh-audit --help").stdout
    version = (re.search(r"ssh-audit v([0-9.]+)", usage) or re.search(r"v([0-9][0-9.]+)", usage))[1]
    skip = "--skip-rate-test " if "--skip-rate-test" in usage else ""
    result = host.run(f"ssh-audit -n {skip}-p {int(port)} {target}")
    assert "(gen) banner" in result.stdout, (
        f"ssh-audit reached no sshd at {target}:{port}: {result.stdout}{result.stderr}"
    )
    return Audit(result.rc, version, parse(result.stdout), result.stdout)
