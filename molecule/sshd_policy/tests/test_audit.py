"""ssh-audit (Debian's package) against the stock sshd and against the policy.

The client runs Debian 13's ssh-audit 3.3.0 over the network; the Debian 12 server also
runs Debian 12's ssh-audit 2.5.0 against itself (its only remaining notes are about
algorithms newer than that tool: tests.harness.ssh_audit)."""

import pytest
from conftest import CLIENT, SERVERS, docker_host

from tests.harness.ssh_audit import run_audit

testinfra_hosts = [CLIENT]


def test_the_stock_sshd_fails_the_audit(host):
    """The before: the client's own sshd, Debian 13's stock configuration, never given the role."""
    audit = run_audit(host)
    fails, warns = audit.levels("fail"), audit.levels("warn")
    print(f"stock Debian 13 sshd, ssh-audit {audit.version}: {len(fails)} fail {fails}, {len(warns)} warn {warns}")
    assert {
        "ecdh-sha2-nistp256",
        "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521",
        "ecdsa-sha2-nistp256",
        "hmac-sha1",
    } <= set(audit.levels("fail"))
    assert {"umac-64@openssh.com", "hmac-sha2-256", "umac-64-etm@openssh.com"} <= set(audit.levels("warn"))
    assert audit.rc != 0


@pytest.mark.parametrize("server", SERVERS)
def test_the_policy_passes_debian13s_ssh_audit(host, server):
    audit = run_audit(host, server)
    assert audit.problems(allowed=()) == [], audit.output
    assert audit.rc == 0, audit.output


def test_debian12s_ssh_audit_only_notes_algorithms_newer_than_itself():
    """Debian 12's ssh-audit 2.5.0 on the Debian 12 server, against itself: its only warnings
    are the notes listed in tests.harness.ssh_audit, and it reports no fail. (Against
    OpenSSH 10 it misreads the version and lists CVEs fixed long ago: it is not used there.)"""
    audit = run_audit(docker_host(SERVERS[0]))
    assert audit.version == "2.5.0"
    assert audit.levels("fail") == [], audit.output
    assert audit.problems() == [], audit.output
