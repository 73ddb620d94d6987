"""An allowlist change is applied by a re-converge, through a reload (Squid keeps its
process and its open connections), without a restart."""

import os
from pathlib import Path

import pytest
from conftest import CLIENTS, PROXIES, container, curl

from tests.harness import run_playbook

testinfra_hosts = CLIENTS
ALLOWED = [".allowed.test"]
WIDER = [".allowed.test", ".later.test"]


def converge(domains):
    extra = {"egress_proxy_allowed_http_domains": domains, "egress_proxy_allowed_https_domains": domains}
    result = run_playbook(
        Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml",
        inventory=os.environ["MOLECULE_INVENTORY_FILE"],
        extra_vars=extra,
        timeout=900,
    )
    assert result.rc == 0, result.tail()
    return result.stdout


def main_pids():
    return {
        name: container(name).run("systemctl show -p MainPID --value squid").stdout.strip()
        for name, _ in PROXIES.values()
    }


@pytest.fixture(scope="module")
def widened():
    clients = [container(name) for name in PROXIES]
    for client in clients:
        assert "origin=" not in curl(client, "http://www.later.test/before").stdout
    before = main_pids()
    output = converge(WIDER)
    yield before, main_pids(), output
    converge(ALLOWED)


def test_squid_was_reloaded_not_restarted(widened):
    before, after, output = widened
    assert "RUNNING HANDLER [ironclad.aws.egress_proxy : Reload Squid]" in output
    assert "RUNNING HANDLER [ironclad.aws.egress_proxy : Restart Squid]" not in output
    assert before == after and all(pid != "0" for pid in after.values())


def test_added_domain_is_allowed_over_http(host, widened):
    assert "origin=blocked" in curl(host, "http://www.later.test/after").stdout


def test_added_domain_is_allowed_over_https(host, widened):
    result = curl(host, "--cacert", "/etc/origin-blocked.crt", "https://www.later.test/after")
    assert result.rc == 0 and "origin=blocked" in result.stdout, result.stderr
