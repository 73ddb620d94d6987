"""sshd, /proc, script's setgid bit and the updates: the settings and their effect."""

import time

import pytest
from conftest import LOG_DIR, audit_key


def test_sshd_runs_with_the_bastion_settings(bastion):
    settings = bastion.check("sshd -T -C user=alice,host=client,addr=192.0.2.1")
    for line in (
        "disableforwarding yes",
        "allowtcpforwarding no",
        "allowstreamlocalforwarding no",
        "allowagentforwarding no",
        "x11forwarding no",
        "permittunnel no",
        "permituserrc no",
        "permituserenvironment no",
        "passwordauthentication no",
        "banner /etc/ssh/bastion_banner",
        "forcecommand /usr/bin/bastion/shell",
    ):
        assert line in settings.splitlines(), line
    assert "subsystem" not in settings


def test_the_wrapper_and_its_rc_file_belong_to_root(bastion):
    for path, mode in (("/usr/bin/bastion", 0o755), ("/usr/bin/bastion/shell", 0o755), ("/etc/bastion/bashrc", 0o644)):
        f = bastion.host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "root", mode), path


def test_the_s3_jobs_configuration_is_root_only(bastion):
    for path in ("/etc/bastion/s3.json", "/etc/bastion/aws.env"):
        f = bastion.host.file(path)
        assert (f.user, f.mode) == ("root", 0o600), path


def test_proc_hides_other_users_processes_except_from_its_group(bastion):
    options = bastion.check("findmnt -no OPTIONS /proc")
    gid = bastion.check("getent group proc").split(":")[2]
    assert "hidepid=invisible" in options and f"gid={gid}" in options
    assert {"nosuid", "nodev", "noexec"} <= set(options.strip().split(","))
    assert f"nosuid,nodev,noexec,hidepid=2,gid={gid}" in bastion.check("grep -E '^proc\\s+/proc\\s' /etc/fstab")
    alone = bastion.check("setpriv --reuid=localuser --regid=localuser --clear-groups ps -eo user=")
    exempt = bastion.check("setpriv --reuid=localuser --regid=localuser --groups=proc ps -eo user=")
    assert set(alone.split()) == {"localuser"}
    assert "root" in exempt.split()


def test_script_is_setgid_with_the_admin_group(bastion):
    f = bastion.host.file("/usr/bin/script")
    assert (f.user, f.group, f.mode) == ("root", "admin", 0o2755)
    override = bastion.check("dpkg-statoverride --list /usr/bin/script").split()
    assert override == ["root", "admin", "2755", "/usr/bin/script"]


def test_a_reinstall_of_scripts_package_keeps_sessions_recorded(bastion, client):
    package = bastion.check("dpkg -S /usr/bin/script").split(":")[0]
    bastion.check(f"DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall {package}")
    f = bastion.host.file("/usr/bin/script")
    assert (f.user, f.group, f.mode) == ("root", "admin", 0o2755)
    key = audit_key(client.session(bastion, "erin", ["echo AFTER-REINSTALL"]).stdout)
    assert "AFTER-REINSTALL" in bastion.check(f"cat {LOG_DIR}/{key}.data")


@pytest.fixture
def watched(synced):
    """The bastion where the systemd path unit (the RPM systems' mechanism) is on."""
    return synced["ironclad-bastion-debian13"]


def test_the_path_unit_puts_the_setgid_bit_back(watched):
    watched.check("chown root:root /usr/bin/script && chmod 0755 /usr/bin/script")
    for _attempt in range(40):
        f = watched.host.file("/usr/bin/script")
        if (f.group, f.mode) == ("admin", 0o2755):
            break
        time.sleep(0.25)
    assert (f.group, f.mode) == ("admin", 0o2755)


def test_security_updates_are_installed_daily(bastion):
    config = bastion.check("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Update-Package-Lists "1";' in config
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
    assert bastion.host.package("unattended-upgrades").is_installed
    assert bastion.host.service("apt-daily-upgrade.timer").is_enabled
    origins = bastion.check("apt-config dump Unattended-Upgrade::Origins-Pattern")
    assert "security" in origins.lower()
