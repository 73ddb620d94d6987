"""The role's own contract, on a host it never ran on: bad input fails early and clearly;
check mode plans everything and changes nothing."""

from pathlib import Path

import pytest

from tests.harness import run_playbook

testinfra_hosts = ["ironclad-host-hardening-fresh"]
FRESH = "ironclad-host-hardening-fresh"
PLAYBOOK = Path(__file__).with_name("apply_role.yml")
SNAPSHOT = (
    "md5sum /etc/login.defs /etc/issue /etc/pam.d/common-session; dpkg -l | md5sum;"
    " ls /etc /etc/sysctl.d /etc/modprobe.d /etc/systemd/system"
)


def apply_role(*args, **extra_vars):
    extra = {"host_hardening_sysctl_apply": False, "host_hardening_auditd_service_enabled": False, **extra_vars}
    return run_playbook(PLAYBOOK, hosts=[FRESH], connection="community.docker.docker", extra_vars=extra, args=args)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"host_hardening_umask": "0277x"}, "host_hardening_umask"),
        ({"host_hardening_password_min_days": 30, "host_hardening_password_max_days": 7}, "0 <= min <= max"),
        ({"host_hardening_sysctls_extra": {"kernel.x": "1\nkernel.y = 0"}}, "sysctl"),
        ({"host_hardening_disabled_protocols": ["sctp /bin/true"]}, "module names"),
        (
            {
                "host_hardening_apt_security_uri": "http://mirror.test/debian-security bookworm main\ndeb http://evil.test"
            },
            "host_hardening_apt_security_uri",
        ),
        ({"host_hardening_session_timeout": 0}, "host_hardening_session_timeout"),
        ({"host_hardening_password_min_length": 4}, "host_hardening_password_min_length"),
    ],
    ids=["umask", "aging", "sysctl-injection", "module-name", "apt-source-injection", "no-timeout", "short-passwords"],
)
def test_bad_input_fails_naming_the_problem_and_changes_nothing(host, extra, named):
    before = host.run(SNAPSHOT).stdout
    result = apply_role("--tags", "none-of-the-role", **extra)
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    assert named in output, output[-3000:]
    assert host.run(SNAPSHOT).stdout == before


def test_check_mode_runs_clean_on_a_fresh_host(host):
    before = host.run(SNAPSHOT).stdout
    result = apply_role("--check")
    assert result.returncode == 0, result.tail(5000)
    assert "failed=0" in result.stdout
    assert host.run(SNAPSHOT).stdout == before
