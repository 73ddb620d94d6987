"""AIDE: the role takes a database of the host as it leaves it and checks it on schedule. A
job planted in /etc/cron.d (root-only: only root or an exploit puts one there) fails the
check, and the journal names the file. Without the role there is neither database nor check."""

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]
UNIT = "ironclad-file-integrity"
PLANTED = "/etc/cron.d/ironclad-aide-probe"


def test_a_planted_cron_job_fails_the_check_and_is_named(host):
    assert host.service(f"{UNIT}.timer").is_enabled
    assert host.file("/var/lib/aide/aide.db").size > 0
    host.check_output(f"echo '* * * * * root id' > {PLANTED}")
    try:
        assert host.run(f"systemctl start {UNIT}.service").rc != 0
        # AIDE lists every change with all its checksums: look for the file, not at the last lines.
        assert host.run(f"journalctl -u {UNIT}.service -o cat --no-pager | grep -F {PLANTED}").rc == 0
    finally:
        host.check_output(f"rm -f {PLANTED}; systemctl reset-failed {UNIT}.service")
