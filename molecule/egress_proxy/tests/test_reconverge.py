"""An allowlist change is applied by a re-converge, through a reload (Squid keeps its
process and its open connections), without a restart."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import CLIENTS, PROXIES, container, curl

testinfra_hosts = CLIENTS
ALLOWED = [".allowed.test"]
WIDER = [".allowed.test", ".later.test"]


def converge(domains):
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    project = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=f"{project}/.state/collections:{project}/.venv/lib/python3.11/site-packages",
        ANSIBLE_NOCOLOR="1",
    )
    extra = {"egress_proxy_allowed_http_domains": domains, "egress_proxy_allowed_https_domains": domains}
    result = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "-e", json.dumps(extra), "converge.yml"],
        cwd=scenario,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:]
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
