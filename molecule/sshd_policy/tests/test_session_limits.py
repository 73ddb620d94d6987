"""What a logged-in session may carry besides its shell, attacked from the client against
the client's own stock sshd (the before) and each server with the policy: the client's
agent forwarded into the session, a TCP tunnel through the host (`ssh -W`), and more
sessions over one multiplexed connection than the policy's two."""

import pytest
from conftest import SERVERS, docker_host

testinfra_hosts = ["ironclad-sshd-policy-client"]
SSH = (
    "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
    " -o IdentitiesOnly=yes -o ConnectTimeout=10 -i /root/keys/tester"
)
STOCK = "127.0.0.1"


def agent_socket_in_session(host, target):
    """The session's SSH_AUTH_SOCK when the client forwards its agent (-A), or 'none'."""
    script = (
        "eval $(ssh-agent -s) >/dev/null && ssh-add -q /root/keys/tester"
        f" && {SSH} -A tester@{target} 'echo ${{SSH_AUTH_SOCK:-none}}'; rc=$?; ssh-agent -k >/dev/null; exit $rc"
    )
    result = host.run("bash -c %s", script)
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("server", SERVERS)
def test_the_clients_agent_is_not_forwarded(host, server):
    assert agent_socket_in_session(host, STOCK).startswith("/tmp/ssh-")
    assert agent_socket_in_session(host, server) == "none"


def tunnel(host, target):
    """ssh -W to the target's own sshd: through a tunnel, its banner comes back."""
    return host.run(f"timeout 20 {SSH} -W 127.0.0.1:22 tester@{target} </dev/null")


@pytest.mark.parametrize("server", SERVERS)
def test_no_tcp_tunnel_through_the_host(host, server):
    assert tunnel(host, STOCK).stdout.startswith("SSH-2.0-")
    refused = tunnel(host, server)
    assert "SSH-2.0-" not in refused.stdout
    assert "administratively prohibited" in refused.stderr, refused.stderr


def multiplexed_sessions(host, target):
    """Two long sessions over one master connection, then a third on it: its result."""
    mux = f"-o ControlPath=/tmp/mux-{target}"
    host.run(f"{SSH} {mux} -O exit tester@{target}")
    host.check_output(f"{SSH} {mux} -o ControlMaster=yes -o ControlPersist=120 -fN tester@{target}")
    try:
        for _ in range(2):
            host.check_output(f"{SSH} {mux} -f tester@{target} 'sleep 120'")
        remote = docker_host("ironclad-sshd-policy-client" if target == STOCK else target)
        for _ in range(60):  # both sessions started (ssh -f returns before the command runs)
            if remote.run("pgrep -c -u tester -x sleep").stdout.strip() == "2":
                break
            remote.run("sleep 0.5")
        return host.run(f"{SSH} {mux} tester@{target} 'echo third'")
    finally:
        host.run(f"{SSH} {mux} -O exit tester@{target}")
        docker_host("ironclad-sshd-policy-client" if target == STOCK else target).run("pkill -u tester -x sleep")


@pytest.mark.parametrize("server", SERVERS)
def test_two_sessions_per_connection(host, server):
    """The stock sshd opens the third session on the shared connection; the policy's refuses
    it (ssh then opens a connection of its own for it, which MaxAuthTries and the login
    limits govern as any other)."""
    stock = multiplexed_sessions(host, STOCK)
    assert stock.stdout.strip() == "third" and "refused" not in stock.stderr, stock.stderr
    third = multiplexed_sessions(host, server)
    assert "Session open refused by peer" in third.stderr, third.stderr


@pytest.mark.parametrize("server", SERVERS)
def test_no_x11_forwarding_and_no_compression(server):
    settings = docker_host(server).check_output("sshd -T").splitlines()
    for line in (
        "x11forwarding no",
        "compression no",
        "allowagentforwarding no",
        "allowtcpforwarding no",
        "maxsessions 2",
    ):
        assert line in settings, line
