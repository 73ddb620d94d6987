"""Runs last: the bastions restart and come back with their firewall and hidepid, nothing re-applied."""

import subprocess

import pytest
from conftest import FETCH, IMDS_SECRET, IMDS_URLS, wait_for

WAIT_FOR_BOOT = (
    "for i in $(seq 300); do [ -S /run/systemd/private ] && break; sleep 0.2; done; "
    "timeout 120 systemctl is-system-running --wait"
)
PORT = 9098
# A listener started by an account that is not root, as a user's would be.
LISTENER = f"systemd-run -q --unit zz-listener -p User=nobody python3 -m http.server {PORT} --bind ::"


@pytest.fixture(scope="module")
def rebooted(synced):
    for bastion in synced.values():
        subprocess.run(["docker", "restart", "-t", "30", bastion.name], check=True, capture_output=True)
    for bastion in synced.values():
        # Right after a restart PID 1 has not opened its bus yet.
        state = bastion.run(WAIT_FOR_BOOT).stdout.strip()
        assert state in ("running", "degraded"), state
        # Docker restores the addresses, not the route an instance's DHCP would give.
        bastion.route_metadata_to_the_stand_in()
    return synced


@pytest.fixture(params=sorted(IMDS_URLS))
def family(request):
    return request.param


def test_the_firewall_is_back_after_a_restart(rebooted, client):
    for bastion in rebooted.values():
        assert "policy drop" in bastion.check("nft list table inet ironclad_bastion")
        bastion.check(LISTENER)
        try:
            assert wait_for(lambda b=bastion: b.run(f"{FETCH} http://127.0.0.1:{PORT}/").rc == 0)
            reached = client.run(f"curl -sS --connect-timeout 5 -o /dev/null http://{bastion.address('-4')}:{PORT}/")
            assert reached.rc != 0, f"the client reached a listener on {bastion.name} after its restart"
        finally:
            bastion.run("systemctl stop zz-listener")


def test_only_root_reaches_the_metadata_service_after_a_restart(rebooted, family):
    for bastion in rebooted.values():
        assert IMDS_SECRET in bastion.check(f"{FETCH} {IMDS_URLS[family]}")
        as_user = bastion.run(f"setpriv --reuid=nobody --regid=nogroup --clear-groups {FETCH} {IMDS_URLS[family]}")
        assert as_user.rc != 0 and IMDS_SECRET not in as_user.stdout, bastion.name


def test_hidepid_is_back_after_a_restart(rebooted):
    """Docker mounts a fresh /proc; the role's /etc/fstab line is applied at boot
    (systemd-remount-fs), as on an instance of the golden image."""
    for bastion in rebooted.values():
        options = bastion.check("findmnt --noheadings --output OPTIONS --mountpoint /proc").strip().split(",")
        assert "hidepid=invisible" in options, (bastion.name, options)
        seen = bastion.check("setpriv --reuid=nobody --regid=nogroup --clear-groups ps -eo user=").split()
        assert set(seen) == {"nobody"}, (bastion.name, seen)
