"""The classic agent goes through the same verified download, and says it is end-of-life.

Run with ansible-playbook against the mirror container, on which the role never ran.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "fixtures"))
from agent_playbook import fixture, run_role  # noqa: E402

testinfra_hosts = ["ironclad-inspector-agent-mirror"]
FRESH = "ironclad-inspector-agent-mirror"
MIRROR = "http://ironclad-inspector-agent-mirror:8000"


def classic_vars(prefix: str = "", **overrides) -> dict:
    fx = fixture()
    values = {
        # The SSM agent is not under test here; the refusal concerns the classic agent.
        "inspector_agent_ssm_agent_enabled": False,
        "inspector_agent_classic": True,
        "inspector_agent_classic_package_url": f"{MIRROR}/{prefix}{fx['paths']['inspector_classic']}",
        "inspector_agent_classic_package_sha256": fx["sha256"]["inspector_classic"],
        "inspector_agent_classic_gpg_public_key": fx["public_key"],
        "inspector_agent_classic_gpg_fingerprint": fx["fingerprint"],
    }
    values.update(overrides)
    return values


@pytest.fixture
def nothing_installed(host):
    yield
    assert host.run("dpkg -s awsagent").rc != 0, "a refused package was installed"
    assert host.run("ls -d /tmp/*.verified_package").rc != 0


def test_classic_without_a_package_source_is_refused(nothing_installed):
    result = run_role(FRESH, "inspector_agent", classic_vars(inspector_agent_classic_package_url=""))
    assert result.returncode != 0
    assert "end-of-life" in result.stdout
    assert "inspector_agent_classic_package_url is empty" in result.stdout, result.stdout[-3000:]


def test_tampered_classic_package_is_refused(nothing_installed):
    result = run_role(FRESH, "inspector_agent", classic_vars("tampered/"))
    assert result.returncode != 0
    assert "Refusing to install awsagent: checksum mismatch" in result.stdout, result.stdout[-3000:]


def test_classic_package_signed_by_an_unknown_key_is_refused(nothing_installed):
    result = run_role(FRESH, "inspector_agent", classic_vars("badsig/", inspector_agent_classic_package_sha256=""))
    assert result.returncode != 0
    assert "Refusing to install awsagent: bad signature" in result.stdout, result.stdout[-3000:]
