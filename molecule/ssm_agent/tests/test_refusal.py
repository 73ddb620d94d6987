"""Downloads that fail verification are refused with a clear message and install nothing.

These run the role with ansible-playbook against the mirror container, a host on which
the role never ran, so "nothing installed" is checked on a clean package database.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "fixtures"))
from agent_playbook import fixture, run_role  # noqa: E402

testinfra_hosts = ["ironclad-ssm-agent-mirror"]
FRESH = "ironclad-ssm-agent-mirror"
MIRROR = "http://ironclad-ssm-agent-mirror:8000"


def agent_vars(prefix: str = "", **overrides) -> dict:
    fx = fixture()
    values = {
        "ssm_agent_region": "us-east-1",
        "ssm_agent_download_base_url": f"{MIRROR}/{prefix}amazon-ssm-us-east-1/latest",
        "ssm_agent_package_sha256": fx["sha256"]["ssm_agent"],
        "ssm_agent_gpg_public_key": fx["public_key"],
        "ssm_agent_gpg_fingerprint": fx["fingerprint"],
    }
    values.update(overrides)
    return values


@pytest.fixture
def nothing_installed(host):
    yield
    assert host.run("dpkg -s amazon-ssm-agent").rc != 0, "a refused package was installed"
    assert not host.file("/lib/systemd/system/amazon-ssm-agent.service").exists
    assert host.run("ls -d /tmp/*.verified_package").rc != 0, "the refused download was left behind"


def test_tampered_package_fails_the_checksum(nothing_installed):
    result = run_role(FRESH, "ssm_agent", agent_vars("tampered/"))
    assert result.returncode != 0
    assert "Refusing to install amazon-ssm-agent: checksum mismatch" in result.stdout, result.stdout[-3000:]
    assert fixture()["sha256"]["ssm_agent"] in result.stdout


def test_tampered_package_fails_the_signature_without_a_checksum(nothing_installed):
    result = run_role(FRESH, "ssm_agent", agent_vars("tampered/", ssm_agent_package_sha256=""))
    assert result.returncode != 0
    assert "Refusing to install amazon-ssm-agent: bad signature" in result.stdout, result.stdout[-3000:]


def test_signature_by_an_unknown_key_is_refused(nothing_installed):
    result = run_role(FRESH, "ssm_agent", agent_vars("badsig/", ssm_agent_package_sha256=""))
    assert result.returncode != 0
    assert "Refusing to install amazon-ssm-agent: bad signature" in result.stdout, result.stdout[-3000:]


def test_valid_signature_by_a_key_other_than_the_pinned_one_is_refused(nothing_installed):
    # The impostor's key is supplied, so gpgv accepts its signature: only the pinned
    # fingerprint stands between a swapped key block and an installed package.
    fx = fixture()
    result = run_role(
        FRESH,
        "ssm_agent",
        agent_vars("badsig/", ssm_agent_package_sha256="", ssm_agent_gpg_public_key=fx["impostor_public_key"]),
    )
    assert result.returncode != 0
    assert "Refusing to install amazon-ssm-agent: bad signature" in result.stdout, result.stdout[-3000:]
    assert f"signed by {fx['impostor_fingerprint']}" in result.stdout
    assert f"expected {fx['fingerprint']}" in result.stdout


def test_unverifiable_request_is_refused(nothing_installed):
    result = run_role(FRESH, "ssm_agent", agent_vars(ssm_agent_package_sha256="", ssm_agent_verify_signature=False))
    assert result.returncode != 0
    assert "at least one way to verify the download" in result.stdout, result.stdout[-3000:]


def test_check_mode_on_a_fresh_host_reports_and_changes_nothing(nothing_installed):
    result = run_role(FRESH, "ssm_agent", agent_vars(), check=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "would be downloaded, verified and installed" in result.stdout
