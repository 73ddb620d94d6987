"""Runs last: the proxies reboot and come back filtering, with nothing re-applied."""

import subprocess

import pytest
from conftest import CLIENTS, PROXIES, container, curl

testinfra_hosts = CLIENTS
WAIT_FOR_BOOT = (
    "for i in $(seq 300); do [ -S /run/systemd/private ] && break; sleep 0.2; done; "
    "timeout 120 systemctl is-system-running --wait"
)


@pytest.fixture(scope="module")
def rebooted():
    for name, _ in PROXIES.values():
        subprocess.run(["docker", "restart", "-t", "30", name], check=True, capture_output=True)
    for name, _ in PROXIES.values():
        # Right after a restart PID 1 has not opened its bus yet; systemctl would fail
        # with "Failed to connect to bus" instead of waiting.
        state = container(name).run(WAIT_FOR_BOOT).stdout.strip()
        assert state in ("running", "degraded"), state


def test_rules_and_squid_are_back_after_a_reboot(host, rebooted):
    proxy = container(PROXIES[host.backend.name][0])
    assert proxy.service("squid").is_running
    assert "REDIRECT" in proxy.run("iptables -t nat -S EGRESS_PROXY_REDIRECT").stdout
    assert "origin=allowed" in curl(host, "http://www.allowed.test/rebooted").stdout
    assert "origin=" not in curl(host, "-k", "https://www.blocked.test/rebooted").stdout
    over_ipv6 = curl(host, "-6", "-g", "http://[fd00:213:2::20]/rebooted")
    assert "origin=" not in over_ipv6.stdout
