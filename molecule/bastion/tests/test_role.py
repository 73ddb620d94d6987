"""The role's own contract: bad input fails early and clearly; check mode on a fresh host."""

from pathlib import Path

import pytest
import testinfra
from conftest import CLIENT

from tests.harness import run_playbook

PLAYBOOK = Path(__file__).with_name("apply_role.yml")


def apply_role(target, *args, **extra_vars):
    extra = {"bastion_s3_bucket": "ironclad-bastion-inputs", **extra_vars}
    return run_playbook(PLAYBOOK, hosts=[target], connection="community.docker.docker", extra_vars=extra, args=args)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"bastion_s3_sse": "AES128"}, "bastion_s3_sse"),
        ({"bastion_s3_sse": "aws:kms"}, "bastion_s3_kms_key_id"),
        ({"bastion_s3_bucket": "Not_A_Bucket"}, "bastion_s3_bucket"),
    ],
    ids=["sse-choice", "kms-without-key", "bucket-name"],
)
def test_bad_input_fails_naming_the_problem_and_changes_nothing(extra, named):
    client = testinfra.get_host(f"docker://{CLIENT}")
    before = client.check_output("md5sum /etc/ssh/sshd_config; ls /etc")
    # No tag matches: only the input checks (tagged always) run.
    result = apply_role(CLIENT, "--tags", "none-of-the-role", **extra)
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    assert named in output, output[-3000:]
    assert client.check_output("md5sum /etc/ssh/sshd_config; ls /etc") == before


def test_check_mode_runs_clean_on_a_fresh_host():
    """The client never had the role: --check must plan everything without failing or changing it."""
    client = testinfra.get_host(f"docker://{CLIENT}")
    before = client.check_output("md5sum /etc/ssh/sshd_config /etc/pam.d/sshd; dpkg -l | md5sum; ls /etc /usr/bin")
    result = apply_role(CLIENT, "--check")
    assert result.returncode == 0, result.stdout[-5000:]
    assert "failed=0" in result.stdout
    after = client.check_output("md5sum /etc/ssh/sshd_config /etc/pam.d/sshd; dpkg -l | md5sum; ls /etc /usr/bin")
    assert after == before


def test_a_host_that_refuses_nftables_fails_clearly_before_writing_rules():
    """The client runs without NET_ADMIN, like a container started without it: the run
    fails naming the cause, and no rules file or unit is left behind. (After the check
    mode test: this one installs nftables on the client.)"""
    client = testinfra.get_host(f"docker://{CLIENT}")
    result = apply_role(CLIENT, "--tags", "bastion_firewall")
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    assert "cannot load nftables rules" in output and "NET_ADMIN" in output, output[-3000:]
    assert not client.file("/etc/bastion/firewall.nft").exists
    assert not client.file("/etc/systemd/system/bastion-firewall.service").exists
