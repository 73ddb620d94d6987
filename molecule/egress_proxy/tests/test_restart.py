"""Restarts and reloads (issue 13 E4): a restart is a short outage (Squid's default
shutdown_lifetime made it 30 s), nothing passes while Squid is down, and an allowlist
change is applied by a reload that open flows survive, spliced HTTPS and HTTP alike."""

import json
import os
import time
from pathlib import Path

import pytest
from conftest import BLOCKED_IP, CLIENTS, PROXIES, container, curl, reached
from tools import address, push, wait_for

from tests.harness import run_playbook

testinfra_hosts = CLIENTS
OUTAGE_BOUND = 5  # seconds (issue 13 E4)


def probe_during(host, action):
    """Longest time without a successful request from host while action() runs."""
    push(host, "probe.py")
    own, _ = address(host)
    host.run("rm -f /tmp/probe.stop /tmp/probe.out")
    host.run("nohup python3 /usr/local/bin/probe.py www.allowed.test %s /tmp/probe.stop >/tmp/probe.out 2>&1 &", own)
    time.sleep(2)
    action()
    time.sleep(3)
    host.run("touch /tmp/probe.stop")
    out = wait_for(lambda: host.run("cat /tmp/probe.out").stdout.strip(), 10)
    successes = json.loads(out)["successes"]
    assert len(successes) > 10, out
    return max(b - a for a, b in zip(successes, successes[1:], strict=False))


def test_a_restart_is_a_short_outage(host, proxy, capsys):
    outage = probe_during(host, lambda: proxy.run("systemctl restart squid"))
    with capsys.disabled():
        print(f"\n[{proxy.backend.name}] restart: {outage:.2f} s without a successful request")
    assert outage <= OUTAGE_BOUND


def test_nothing_passes_while_squid_is_down(host, proxy, allowed_origin, blocked_origin, token):
    assert proxy.run("systemctl stop squid").rc == 0
    try:
        for url in (
            f"http://www.allowed.test/{token}-a",
            f"https://www.allowed.test/{token}-b",
            f"http://www.blocked.test/{token}-c",
            f"https://www.blocked.test/{token}-d",
            f"http://{BLOCKED_IP}/{token}-e",
        ):
            result = curl(host, "-k", "-m", "5", url)
            assert result.rc != 0 and "origin=" not in result.stdout, url
        time.sleep(1)
        assert not reached(allowed_origin, token) and not reached(blocked_origin, token)
    finally:
        assert proxy.run("systemctl start squid").rc == 0
    assert wait_for(lambda: "origin=allowed" in curl(host, "http://www.allowed.test/up").stdout, 30)


def converge(domains):
    result = run_playbook(
        Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml",
        inventory=os.environ["MOLECULE_INVENTORY_FILE"],
        extra_vars={"egress_proxy_allowed_http_domains": domains, "egress_proxy_allowed_https_domains": domains},
        timeout=900,
    )
    assert result.rc == 0, result.tail()
    return result.stdout


def flow_out(client, scheme):
    return client.run(f"cat /tmp/flow-{scheme}.out 2>/dev/null").stdout


@pytest.fixture(scope="module")
def flows_across_a_change():
    """Opens one HTTP and one spliced HTTPS flow per client, changes the allowlist with
    the role (a reload), then lets every flow send its request on its old connection."""
    clients = [container(name) for name in PROXIES]
    for client in clients:
        push(client, "long_flow.py")
        client.run("rm -f /tmp/flow-*.out /tmp/flow.go")
        for scheme in ("http", "https"):
            client.run(
                f"nohup python3 /usr/local/bin/long_flow.py {scheme}://www.allowed.test/stream/{scheme}"
                f" /etc/origin-allowed.crt /tmp/flow-{scheme}.out /tmp/flow.go >/dev/null 2>&1 &"
            )
        for scheme in ("http", "https"):
            opened = wait_for(lambda c=client, s=scheme: "open" in flow_out(c, s), 30)
            assert opened, flow_out(client, scheme)
    output = converge([".allowed.test", ".later.test"])
    for client in clients:
        client.run("touch /tmp/flow.go")
    yield output
    converge([".allowed.test"])


def test_the_allowlist_change_reloaded_squid(flows_across_a_change):
    assert "RUNNING HANDLER [ironclad.aws.egress_proxy : Reload Squid]" in flows_across_a_change
    assert "RUNNING HANDLER [ironclad.aws.egress_proxy : Restart Squid]" not in flows_across_a_change


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_open_flows_survive_the_reload(host, flows_across_a_change, scheme):
    """A download running across the change still receives data after it, on its connection."""
    assert wait_for(lambda: "alive" in flow_out(host, scheme) or "cut" in flow_out(host, scheme), 30)
    assert f"alive: origin=allowed path=/stream/{scheme}" in flow_out(host, scheme), flow_out(host, scheme)
