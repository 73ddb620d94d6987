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


def test_a_bad_domain_fails_before_anything_changes():
    """Validation runs first: the play stops naming the value, squid.conf and the running
    Squid (same process) are as they were. (Each limit is a unit test.)"""
    bad = "www.allowed.test\n"
    conf = {name: container(name).run("sha256sum /etc/squid/squid.conf").stdout for name, _ in PROXIES.values()}
    before = main_pids()
    result = run_playbook(
        Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml",
        inventory=os.environ["MOLECULE_INVENTORY_FILE"],
        extra_vars={"egress_proxy_allowed_https_domains": [".allowed.test", bad]},
        timeout=900,
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.rc != 0 and "not a host name in the allowlists" in output, result.tail()
    assert "changed=0" in result.stdout and "changed=1" not in result.stdout
    assert main_pids() == before
    assert {name: container(name).run("sha256sum /etc/squid/squid.conf").stdout for name, _ in PROXIES.values()} == conf
