"""Upgrades: a newer, correctly signed FIXTURE package (0.0.2~fixture) is installed in
latest mode, verified, and the agent restarted on it; an older one is only installed on
explicit request; a pinned SHA-256 that is not what is installed is reported.

Before: verified_package installed only absent packages, so re-applying the role with
the newer package's URL and SHA-256 reported changed=0 and left 0.0.0~fixture running.
These run the role with ansible-playbook against the converged Debian 12 host, with its
converge settings (the proxy drop-in) so that only the package changes, and end on the
version the converge installed.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "fixtures"))
from agent_playbook import fixture, run_role  # noqa: E402

testinfra_hosts = ["ironclad-ssm-agent-debian12"]
HOST = "ironclad-ssm-agent-debian12"
MIRROR = "http://ironclad-ssm-agent-mirror:8000"
RECORD = "/var/lib/ironclad/verified_package/amazon-ssm-agent.sha256"


def agent_vars(prefix="", sha256=None, **overrides):
    fx = fixture()
    values = {
        "ssm_agent_region": "us-east-1",
        "ssm_agent_download_base_url": f"{MIRROR}/{prefix}amazon-ssm-us-east-1/latest",
        "ssm_agent_package_sha256": fx["sha256"]["ssm_agent"] if sha256 is None else sha256,
        "ssm_agent_gpg_public_key": fx["public_key"],
        "ssm_agent_gpg_fingerprint": fx["fingerprint"],
        "ssm_agent_proxy_url": "http://proxy.fixture.invalid:3128",
    }
    values.update(overrides)
    return values


def newer_vars(**overrides):
    return agent_vars("newer/", fixture()["newer"]["sha256"]["ssm_agent"], **overrides)


def changed(result):
    return int(re.search(r"changed=(\d+)", result.stdout.rsplit("PLAY RECAP", 1)[-1]).group(1))


def main_pid(host):
    return host.check_output("systemctl show -p MainPID --value amazon-ssm-agent")


def test_present_mode_leaves_the_old_version_and_reports_the_pinned_sha256(host):
    """What the issue saw, now reported: the newer package's SHA-256 is pinned, but
    present mode does not upgrade, and says that the installed file is another one."""
    result = run_role(HOST, "ssm_agent", newer_vars())
    assert result.returncode == 0, result.stdout[-3000:]
    assert changed(result) == 0
    assert host.package("amazon-ssm-agent").version == "0.0.0~fixture"
    assert "is not the pinned package" in result.stdout
    assert fixture()["sha256"]["ssm_agent"] in result.stdout  # what the record says was installed


def test_latest_mode_upgrades_verifies_and_restarts(host):
    before = main_pid(host)
    result = run_role(HOST, "ssm_agent", newer_vars(ssm_agent_package_state="latest"))
    assert result.returncode == 0, result.stdout[-3000:]
    assert host.package("amazon-ssm-agent").version == "0.0.2~fixture"
    assert host.service("amazon-ssm-agent").is_running
    assert main_pid(host) != before, "the agent was not restarted on the new version"
    record = host.file(RECORD)
    assert (record.user, record.group, record.mode) == ("root", "root", 0o600)
    assert host.file(str(Path(RECORD).parent)).mode == 0o700
    assert record.content_string.split() == [fixture()["newer"]["sha256"]["ssm_agent"], "0.0.2~fixture"]
    assert host.run("ls -d /tmp/*.verified_package").rc != 0


def test_latest_mode_again_changes_nothing(host):
    result = run_role(HOST, "ssm_agent", newer_vars(ssm_agent_package_state="latest"))
    assert result.returncode == 0, result.stdout[-3000:]
    assert changed(result) == 0
    check = run_role(HOST, "ssm_agent", newer_vars(ssm_agent_package_state="latest"), check=True)
    assert check.returncode == 0, check.stdout[-3000:]
    assert changed(check) == 0


def test_latest_mode_checks_the_newer_download_too(host):
    """A tampered newer download is refused before anything is installed."""
    result = run_role(HOST, "ssm_agent", agent_vars("tampered/", "", ssm_agent_package_state="latest"))
    assert result.returncode != 0
    assert "Refusing to install amazon-ssm-agent: bad signature" in result.stdout, result.stdout[-3000:]
    assert host.package("amazon-ssm-agent").version == "0.0.2~fixture"


def test_an_older_download_is_not_installed_without_allow_downgrade(host):
    before = main_pid(host)
    result = run_role(HOST, "ssm_agent", agent_vars(ssm_agent_package_state="latest"))
    assert result.returncode == 0, result.stdout[-3000:]
    assert "not downgrading amazon-ssm-agent from 0.0.2~fixture to 0.0.0~fixture" in result.stdout
    assert changed(result) == 0
    assert host.package("amazon-ssm-agent").version == "0.0.2~fixture"
    assert main_pid(host) == before


def test_a_downgrade_on_explicit_request(host):
    before = main_pid(host)
    result = run_role(HOST, "ssm_agent", agent_vars(ssm_agent_package_state="latest", ssm_agent_allow_downgrade=True))
    assert result.returncode == 0, result.stdout[-3000:]
    assert host.package("amazon-ssm-agent").version == "0.0.0~fixture"
    assert main_pid(host) != before
    assert host.file(RECORD).content_string.split() == [fixture()["sha256"]["ssm_agent"], "0.0.0~fixture"]
