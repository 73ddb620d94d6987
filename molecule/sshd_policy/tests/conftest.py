"""Names shared by the sshd_policy scenario's tests."""

import testinfra

SERVERS = ["ironclad-sshd-policy-debian12", "ironclad-sshd-policy-debian13"]
CLIENT = "ironclad-sshd-policy-client"
DROPIN = "/etc/ssh/sshd_config.d/10-ironclad-policy.conf"


def docker_host(name):
    return testinfra.get_host(f"docker://{name}")
