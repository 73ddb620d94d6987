"""The daily rootkit scan (chkrootkit): on the hardened host it finds nothing; a file a known
worm leaves behind (Slapper's /tmp/.bugtraq) fails the scan, and the journal names the finding.
Without the role there is no scan at all."""

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]
UNIT = "ironclad-rootkit-scan"
PLANTED = "/tmp/.bugtraq"


def journal(host):
    return host.check_output(f"journalctl -u {UNIT}.service -n 40 --no-pager")


def test_the_scan_is_scheduled_and_finds_nothing_on_a_clean_host(host):
    assert host.service(f"{UNIT}.timer").is_enabled
    assert host.run(f"systemctl start {UNIT}.service").rc == 0, journal(host)
    assert "rootkit scan: no finding" in journal(host)


def test_a_worm_file_fails_the_scan_and_is_named(host):
    host.check_output(f"touch {PLANTED}")
    try:
        assert host.run(f"systemctl start {UNIT}.service").rc != 0
        findings = [line for line in journal(host).splitlines() if "rootkit scan finding:" in line]
        assert [line for line in findings if "Slapper" in line or PLANTED in line], journal(host)
    finally:
        host.check_output(f"rm -f {PLANTED}; systemctl reset-failed {UNIT}.service")
    assert host.run(f"systemctl start {UNIT}.service").rc == 0, journal(host)
