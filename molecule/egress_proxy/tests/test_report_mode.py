"""Report mode (issue 13 E9): a name the allowlists do not hold passes (HTTPS still
spliced: the client sees the origin's own certificate), is listed with its count by
egress-proxy-report on the proxy, and is refused again once enforce mode is back, by a
reload. The metadata address stays denied in report mode."""

import os
import uuid
from pathlib import Path

import pytest
from conftest import PROXIES, container, curl, reached

from tests.harness import run_playbook

PAIRS = [(container(client), container(proxy)) for client, (proxy, _) in PROXIES.items()]


def converge(mode):
    result = run_playbook(
        Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml",
        inventory=os.environ["MOLECULE_INVENTORY_FILE"],
        extra_vars={"egress_proxy_mode": mode},
        timeout=900,
    )
    assert result.rc == 0, result.tail()
    return result.stdout


def main_pids():
    return [proxy.run("systemctl show -p MainPID --value squid").stdout.strip() for _, proxy in PAIRS]


def report(proxy):
    """egress-proxy-report's rows as {(scheme, name): count}."""
    result = proxy.run("egress-proxy-report")
    assert result.rc == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    return {(scheme, name): int(count) for count, scheme, name in rows}


@pytest.fixture(scope="module")
def modes():
    """Report mode, then enforce mode again: the play's output and Squid's PIDs of each."""
    pids = main_pids()
    token = f"t-{uuid.uuid4().hex}"
    reported = converge("report")
    state = {"pids": pids, "report": reported, "report_pids": main_pids(), "token": token}
    yield state
    if "enforce" not in state:
        converge("enforce")


@pytest.fixture(scope="module")
def enforced(modes):
    modes["enforce"] = converge("enforce")
    modes["enforce_pids"] = main_pids()
    return modes


def test_report_mode_is_applied_by_a_reload(modes):
    assert "RUNNING HANDLER [ironclad.aws.egress_proxy : Reload Squid]" in modes["report"]
    assert "RUNNING HANDLER [ironclad.aws.egress_proxy : Restart Squid]" not in modes["report"]
    assert modes["report_pids"] == modes["pids"]


def test_a_blocked_name_passes_in_report_mode_and_is_not_decrypted(modes, blocked_origin):
    token = modes["token"]
    for client, _ in PAIRS:
        http = curl(client, f"http://www.blocked.test/{token}-http")
        assert "origin=blocked" in http.stdout, http.stdout
        # Only the origin's own certificate is trusted: one minted by the proxy would fail.
        https = curl(client, "--cacert", "/etc/origin-blocked.crt", f"https://www.blocked.test/{token}-https")
        assert https.rc == 0 and "origin=blocked" in https.stdout, https.stderr
    assert reached(blocked_origin, f"{token}-http") and reached(blocked_origin, f"{token}-https")


def test_the_report_lists_the_names_enforce_mode_would_refuse(modes):
    for _, proxy in PAIRS:
        rows = report(proxy)
        assert rows.get(("http", "www.blocked.test"), 0) >= 1, rows
        assert rows.get(("https", "www.blocked.test"), 0) >= 1, rows
        # Allowed names are not in it.
        assert not [name for _, name in rows if name.endswith("allowed.test")], rows


def test_the_metadata_address_stays_denied_in_report_mode(modes, allowed_origin):
    token = modes["token"]
    for client, _ in PAIRS:
        assert "status=403" in curl(client, f"http://imds.allowed.test/latest/{token}").stdout
        assert "origin=" not in curl(client, f"http://169.254.169.254/latest/{token}").stdout
        assert "origin=" not in curl(client, "-k", f"https://imds.allowed.test/latest/{token}").stdout
    assert not reached(allowed_origin, token)


def test_enforce_mode_refuses_it_again_after_a_reload(enforced, blocked_origin):
    assert "RUNNING HANDLER [ironclad.aws.egress_proxy : Reload Squid]" in enforced["enforce"]
    assert "RUNNING HANDLER [ironclad.aws.egress_proxy : Restart Squid]" not in enforced["enforce"]
    assert enforced["enforce_pids"] == enforced["pids"]
    token = f"t-{uuid.uuid4().hex}"
    for client, _ in PAIRS:
        assert "status=403" in curl(client, f"http://www.blocked.test/{token}").stdout
        https = curl(client, "--cacert", "/etc/origin-blocked.crt", f"https://www.blocked.test/{token}")
        assert https.rc != 0 and "origin=" not in https.stdout
    assert not reached(blocked_origin, token)
