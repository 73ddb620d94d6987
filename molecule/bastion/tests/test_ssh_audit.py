"""R10: the bastion's sshd passes Debian's ssh-audit (no fail, no warning) and keeps the
login limits, on Debian 12 (ssh-audit 2.5.0, its notes about algorithms newer than
itself allowed: tests.harness.ssh_audit) and Debian 13 (ssh-audit 3.3.0, nothing allowed)."""

from tests.harness.ssh_audit import NEWER_THAN_THE_TOOL, run_audit


def test_ssh_audit_reports_no_fail_and_no_warning(bastion):
    audit = run_audit(bastion.host)
    allowed = NEWER_THAN_THE_TOOL if audit.version.startswith("2.") else ()
    print(f"{bastion.name}: ssh-audit {audit.version}, {len(audit.findings)} notes")
    assert audit.levels("fail") == [], audit.output
    assert audit.problems(allowed=allowed) == [], audit.output


def test_login_limits_and_logging(bastion):
    settings = bastion.check("sshd -T -C user=alice,host=client,addr=192.0.2.1").splitlines()
    values = dict(line.split(" ", 1) for line in settings if " " in line)
    assert int(values["maxauthtries"]) <= 3
    assert int(values["logingracetime"]) <= 30
    assert values["loglevel"] == "VERBOSE"
