"""sshd on every hardened host runs with the sshd_policy drop-in: each host's own ssh-audit
(Debian's package: 2.5.0 on Debian 12, 3.3.0 on Debian 13) finds no fail and no warning
(Debian 12's older tool: only its notes on algorithms newer than itself), and the login
limits are sshd's. The stock sshd's fails are shown in the sshd_policy scenario."""

from tests.harness.ssh_audit import NEWER_THAN_THE_TOOL, run_audit

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]


def test_ssh_audit_finds_no_fail_and_no_warning(host):
    audit = run_audit(host)
    assert audit.levels("fail") == [], audit.output
    allowed = NEWER_THAN_THE_TOOL if audit.version.startswith("2.") else ()
    assert audit.problems(allowed) == [], audit.output


def test_sshd_runs_with_the_login_limits(host):
    settings = host.check_output("sshd -T").splitlines()
    for line in ("maxauthtries 3", "logingracetime 30", "loglevel VERBOSE"):
        assert line in settings
    assert not [s for s in settings if s.startswith("hostkey ") and "ecdsa" in s]
