"""Each concern of host_hardening, proved on the converged hosts, mostly by attacking it
as the unprivileged user `tester` (uid 1000, with a password) or `keyonly` (no password)."""

import pytest

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]
PROXY = "ironclad-host-hardening-debian13"
SYSCTL_FILE = "/etc/sysctl.d/50-ironclad-hardening.conf"
BANNER = "Authorized uses only. All activity on this system is monitored and recorded."


def as_user(host, command, user="tester"):
    """A login session of `user` (PAM session stack: limits, umask), as sshd would open."""
    return host.run("su -l %s -s /bin/bash -c %s", user, command)


def sysctl_lines(host):
    lines = host.file(SYSCTL_FILE).content_string.splitlines()
    return dict(line.split(" = ", 1) for line in lines if line and not line.startswith("#"))


# sysctls ---------------------------------------------------------------------


def test_sysctl_file_holds_the_baseline(host):
    values = sysctl_lines(host)
    for key, value in {
        "kernel.kptr_restrict": "2",
        "kernel.yama.ptrace_scope": "1",
        "fs.suid_dumpable": "0",
        "net.ipv4.conf.all.accept_redirects": "0",
        "net.ipv4.conf.all.send_redirects": "0",
        "net.ipv4.tcp_syncookies": "1",
    }.items():
        assert values[key] == value, key


def test_forwarding_is_off_except_on_the_egress_proxy(host):
    """The proxy must forward (its role owns that); every other host must not route."""
    values = sysctl_lines(host)
    if host.check_output("hostname") == PROXY:
        assert not [k for k in values if "forwarding" in k or k == "net.ipv4.ip_forward"]
        # Read after ours, so the egress_proxy role's file wins in any case.
        assert "50-ironclad-hardening.conf" < "60-egress-proxy.conf"
    else:
        assert values["net.ipv4.ip_forward"] == "0"
        assert values["net.ipv6.conf.all.forwarding"] == "0"


def test_network_sysctls_take_effect_when_applied(host):
    """The running values cannot be set in a container (/proc/sys is the Docker host's and
    read-only), but a new network namespace has its own per-namespace values: apply the
    file's net.ipv4/net.ipv6 lines there with sysctl itself and read them back. Forwarding
    (a new namespace may not change it here) is checked as written above."""
    net = {
        k: v
        for k, v in sysctl_lines(host).items()
        if k.startswith(("net.ipv4.", "net.ipv6.")) and "forwarding" not in k and k != "net.ipv4.ip_forward"
    }
    assert len(net) >= 20
    lines = "\\n".join(f"{k} = {v}" for k, v in sorted(net.items()))
    script = (
        f"umount /proc/sys && printf '{lines}\\n' > /tmp/net.conf && sysctl -q -p /tmp/net.conf"
        f" && sysctl -n {' '.join(sorted(net))}"
    )
    out = host.check_output("unshare --mount --net sh -c %s", script).split()
    assert out == [net[k] for k in sorted(net)]


# auditd ----------------------------------------------------------------------


def test_audit_rules_log_users_commands_and_identity_changes(host):
    assert host.package("auditd").is_installed
    rules = host.file("/etc/audit/rules.d/50-ironclad.rules")
    assert rules.mode == 0o600
    lines = set(rules.content_string.splitlines())
    for arch in ("b64", "b32"):
        assert (
            f"-a always,exit -F arch={arch} -S execve,execveat -F auid>=1000 -F auid!=unset -k user-commands" in lines
        )
    for path, key in [
        ("/etc/ssh/sshd_config", "sshd"),
        ("/etc/ssh/sshd_config.d", "sshd"),
        ("/etc/sudoers", "sudoers"),
        ("/etc/sudoers.d", "sudoers"),
        ("/etc/passwd", "identity"),
        ("/etc/shadow", "identity"),
        ("/etc/group", "identity"),
        ("/etc/gshadow", "identity"),
    ]:
        assert f"-w {path} -p wa -k {key}" in lines


def test_audit_log_is_bounded(host):
    conf = host.file("/etc/audit/auditd.conf").content_string
    assert "max_log_file = 50" in conf and "max_log_file_action = ROTATE" in conf


# login.defs ------------------------------------------------------------------


def test_login_sessions_get_umask_027(host):
    """A file a user creates is not readable by others."""
    assert as_user(host, "umask").stdout.strip() == "0027"
    as_user(host, "rm -f ~/probe; touch ~/probe")
    assert host.file("/home/tester/probe").mode == 0o640


def test_login_defs_aging_and_hashing(host):
    defs = host.file("/etc/login.defs").content_string
    for line in [
        "PASS_MAX_DAYS\t365",
        "PASS_MIN_DAYS\t1",
        "PASS_WARN_AGE\t14",
        "SHA_CRYPT_MIN_ROUNDS\t65536",
        "YESCRYPT_COST_FACTOR\t7",
    ]:
        assert line in defs.splitlines(), line


def test_existing_password_accounts_are_aged_key_only_accounts_are_not(host):
    """tester's password expires; keyonly has none, and an expired one would lock its key logins out."""
    shadow = {line.split(":")[0]: line.split(":") for line in host.check_output("getent shadow").splitlines()}
    assert shadow["tester"][3:6] == ["1", "365", "14"]
    assert shadow["keyonly"][4] in ("", "-1")
    assert as_user(host, "true", user="keyonly").rc == 0


# core dumps ------------------------------------------------------------------


def test_users_cannot_dump_core(host):
    assert as_user(host, "ulimit -Hc").stdout.strip() == "0"
    raised = as_user(host, "ulimit -c unlimited")
    assert raised.rc != 0, "a user could raise the core limit again"


def test_shells_that_skip_pam_cannot_dump_core(host):
    """docker exec (this test's connection) opens no PAM session, so limits.d is not read:
    its hard core limit is unlimited (only the soft one is 0, which any process may raise).
    A login shell reads profile.d, whose `ulimit -c 0` sets the hard limit too."""
    outside = host.check_output("bash -c 'ulimit -Hc'")
    assert host.check_output("bash -l -c 'ulimit -Hc'") == "0", f"without a login shell: {outside}"
    assert host.run("bash -l -c 'ulimit -Sc 1024'").rc != 0


def test_services_cannot_dump_core(host):
    assert host.check_output("systemctl show -p DefaultLimitCORE") == "DefaultLimitCORE=0"
    assert "Storage=none" in host.file("/etc/systemd/coredump.conf.d/10-ironclad.conf").content_string


# modules ---------------------------------------------------------------------


@pytest.mark.parametrize("module", ["dccp", "sctp", "rds", "tipc", "cramfs", "hfsplus", "udf", "usb-storage"])
def test_unused_module_cannot_be_loaded(host, module):
    """modprobe resolves the module to /bin/false: any load, also an automatic one, fails."""
    assert host.check_output("modprobe -n -v %s", module).strip() == "install /bin/false"
    assert host.run("modprobe %s", module).rc != 0


# permissions -----------------------------------------------------------------


def test_users_cannot_read_system_jobs(host):
    assert as_user(host, "cat /etc/crontab").rc != 0
    assert as_user(host, "ls /etc/cron.d").rc != 0
    assert as_user(host, "ls /etc/cron.daily").rc != 0


def test_users_cannot_schedule_jobs(host):
    """cron.allow / at.allow name root only: a user's crontab or at job is refused."""
    assert as_user(host, "echo '* * * * * id' | crontab -").rc != 0
    assert as_user(host, "echo id | at now + 1 hour").rc != 0
    assert host.run("echo '# root may' | crontab -").rc == 0
    host.run("crontab -r")


# banner ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/etc/issue", "/etc/issue.net"])
def test_banner_is_legal_and_names_no_system(host, path):
    text = host.file(path).content_string
    assert text.startswith(BANNER)
    assert "Debian" not in text and "\\" not in text


# package integrity -----------------------------------------------------------


def test_integrity_check_names_a_tampered_file(host):
    """A packaged file changed behind dpkg's back fails the scheduled check, which names it."""
    unit = "ironclad-package-integrity"
    assert host.service(f"{unit}.timer").is_enabled
    assert host.run(f"systemctl start {unit}.service").rc == 0, host.check_output(f"journalctl -u {unit} -n 20")
    host.check_output("cp -a /usr/lib/os-release /root/os-release.bak && echo TAMPERED=1 >> /usr/lib/os-release")
    try:
        assert host.run(f"systemctl start {unit}.service").rc != 0
        assert "/usr/lib/os-release" in host.check_output(f"journalctl -u {unit} -n 20 --no-pager")
    finally:
        host.check_output("cp -a /root/os-release.bak /usr/lib/os-release && systemctl reset-failed")
    assert host.run(f"systemctl start {unit}.service").rc == 0
