"""Security fixes reach the hardened hosts: the distribution's security suite is in the
apt sources and its index is read; none of its updates is left pending after the
converge; unattended-upgrades installs the next ones every day. On the plain base
images apt knows no security suite at all, and once it is listed, dozens of their
packages have a pending security update."""

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]


def codename(host):
    return host.system_info.codename


def test_security_suite_index_is_read(host):
    """apt-cache policy lists only archives whose index apt has fetched and verified."""
    policy = host.check_output("apt-cache policy")
    suite = f"{codename(host)}-security/main"
    assert any("security.debian.org/debian-security" in line and suite in line for line in policy.splitlines()), policy
    assert "l=Debian-Security" in policy


def test_no_security_update_is_pending(host):
    """What lynis' PKGS-7392 (and an attacker's scanner) looks for: an installed package
    with a newer version in the security suite."""
    simulated = host.check_output("apt-get --dry-run upgrade")
    pending = [line for line in simulated.splitlines() if line.startswith("Inst") and "-security" in line]
    assert pending == []


def test_security_updates_run_daily(host):
    config = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Update-Package-Lists "1";' in config
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
    for timer in ("apt-daily.timer", "apt-daily-upgrade.timer"):
        assert host.service(timer).is_enabled and host.service(timer).is_running, timer
    # What the daily run would install from: the security suite (the distribution's default).
    dry = host.run("unattended-upgrade --dry-run --debug")
    assert dry.rc == 0, dry.stderr
    origins = [line for line in (dry.stdout + dry.stderr).splitlines() if line.startswith("Allowed origins are:")]
    assert origins and f"codename={codename(host)}-security" in origins[0], origins
