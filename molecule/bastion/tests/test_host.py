"""sshd, /proc, the recorder's files, script without privilege and the updates."""

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
        "authorizedkeysfile /etc/ssh/authorized_keys/%u",
    ):
        assert line in settings.splitlines(), line
    assert "subsystem" not in settings


def test_the_wrapper_and_its_rc_file_belong_to_root(bastion):
    for path, mode in (
        ("/usr/bin/bastion", 0o755),
        ("/usr/bin/bastion/shell", 0o755),
        ("/etc/bastion/bashrc", 0o644),
        ("/usr/local/sbin/bastion-record", 0o755),
        ("/etc/bastion/recorder.json", 0o644),
        ("/etc/sudoers.d/ironclad-bastion-recorder", 0o440),
        ("/usr/local/lib/bastion", 0o700),
    ):
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


def test_script_holds_no_privilege_and_nothing_puts_one_back(bastion):
    f = bastion.host.file("/usr/bin/script")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o755)
    assert bastion.check("dpkg-statoverride --list /usr/bin/script || true").strip() == ""
    assert not bastion.host.file("/etc/systemd/system/bastion-script-setgid.path").exists
    assert not bastion.host.file("/etc/systemd/system/bastion-script-setgid.service").exists


def test_the_sudo_rule_allows_the_recorder_alone_without_arguments(bastion):
    rules = bastion.check("sudo -l -U alice")
    assert "NOPASSWD: /usr/local/sbin/bastion-record" in rules and "(ALL" not in rules, rules
    refused = bastion.run("runuser -u alice -- sudo -n /usr/local/sbin/bastion-record --help")
    assert refused.rc != 0 and "AUDIT KEY" not in refused.stdout
    other = bastion.run("runuser -u alice -- sudo -n /usr/bin/id")
    assert other.rc != 0 and "uid=0" not in other.stdout


def test_a_reinstall_of_scripts_package_keeps_sessions_recorded(bastion, client):
    package = bastion.check("dpkg -S /usr/bin/script").split(":")[0]
    bastion.check(f"DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall {package}")
    f = bastion.host.file("/usr/bin/script")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o755)
    key = audit_key(client.session(bastion, "erin", ["echo AFTER-REINSTALL"]).stdout)
    assert "AFTER-REINSTALL" in bastion.check(f"cat {LOG_DIR}/{key}.data")


def test_security_updates_are_installed_daily(bastion):
    config = bastion.check("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Update-Package-Lists "1";' in config
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
    assert bastion.host.package("unattended-upgrades").is_installed
    assert bastion.host.service("apt-daily-upgrade.timer").is_enabled
    origins = bastion.check("apt-config dump Unattended-Upgrade::Origins-Pattern")
    assert "security" in origins.lower()
