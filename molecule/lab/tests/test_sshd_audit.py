"""Every lab host running sshd (issue 17 H2): its own Debian ssh-audit (2.5.0 on Debian 12,
3.3.0 on Debian 13) finds no fail and no warning (Debian 12's older tool: only its notes
on algorithms newer than itself, tests.harness.ssh_audit). The bastion gets the policy
from the bastion role (its sshd_config includes the drop-in), the others from
host_hardening."""

import pytest
import testinfra

from tests.harness.ssh_audit import NEWER_THAN_THE_TOOL, run_audit

HOSTS = ["ironclad-lab-bastion", "ironclad-lab-proxy", "ironclad-lab-app"]


@pytest.mark.parametrize("name", HOSTS)
def test_ssh_audit_finds_no_fail_and_no_warning(name):
    host = testinfra.get_host(f"docker://{name}")
    installed = host.run(
        "command -v ssh-audit || { apt-get update -qq &&"
        " DEBIAN_FRONTEND=noninteractive apt-get install -y -q ssh-audit; }"
    )
    assert installed.rc == 0, installed.stdout + installed.stderr
    audit = run_audit(host)
    assert audit.levels("fail") == [], audit.output
    allowed = NEWER_THAN_THE_TOOL if audit.version.startswith("2.") else ()
    assert audit.problems(allowed) == [], audit.output
    settings = host.check_output("sshd -T").splitlines()
    assert "maxauthtries 3" in settings and "loglevel VERBOSE" in settings
