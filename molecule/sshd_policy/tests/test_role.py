"""The role's contract on a host it never ran on (the client): bad input fails before any
change, naming the variable; check mode plans the drop-in and changes nothing."""

from pathlib import Path

import pytest
from conftest import CLIENT

from tests.harness import run_playbook

testinfra_hosts = [CLIENT]
PLAYBOOK = Path(__file__).with_name("apply_role.yml")
SNAPSHOT = (
    "ls -la /etc/ssh /etc/ssh/sshd_config.d; md5sum /etc/ssh/sshd_config; sshd -T | md5sum;"
    " systemctl show -p MainPID ssh"
)


def apply_role(*args, json=False, **extra_vars):
    return run_playbook(
        PLAYBOOK,
        hosts=[CLIENT],
        connection="community.docker.docker",
        extra_vars=extra_vars,
        args=args,
        json_output=json,
    )


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"sshd_policy_kex_algorithms": ["curve25519-sha256,ecdh-sha2-nistp256"]}, "sshd_policy_kex_algorithms"),
        ({"sshd_policy_ciphers": ["aes256-ctr\nPermitRootLogin yes"]}, "sshd_policy_ciphers"),
        ({"sshd_policy_macs": ["hmac-sha3-typo"]}, "supports none of the algorithms in sshd_policy_macs"),
        ({"sshd_policy_max_auth_tries": 0}, "sshd_policy_max_auth_tries"),
        ({"sshd_policy_log_level": "LOUD"}, "sshd_policy_log_level"),
        ({"sshd_policy_host_keys": ["/etc/ssh/ssh_host_dsa_key"]}, "none of sshd_policy_host_keys"),
        (
            {"sshd_policy_rsa_min_bits": 8192, "sshd_policy_host_keys": ["/etc/ssh/ssh_host_rsa_key"]},
            "sshd_policy_rsa_min_bits",
        ),
    ],
    ids=["comma", "newline", "unknown-mac", "auth-tries", "log-level", "no-host-key", "rsa-too-small"],
)
def test_bad_input_fails_naming_the_problem_and_changes_nothing(host, extra, named):
    before = host.run(SNAPSHOT).stdout
    result = apply_role(**extra)
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    assert named in output, output[-3000:]
    assert host.run(SNAPSHOT).stdout == before


def test_check_mode_runs_clean_on_a_fresh_host(host):
    before = host.run(SNAPSHOT).stdout
    result = apply_role("--check", json=True)
    assert result.returncode == 0, result.tail(5000)
    assert result.data["stats"][CLIENT]["failures"] == 0
    planned = [r for name, r in result.results.items() if name.endswith("Write the policy drop-in")]
    assert planned and planned[0]["changed"], "check mode does not plan the drop-in"
    assert host.run(SNAPSHOT).stdout == before
