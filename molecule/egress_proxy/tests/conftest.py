"""Shared names and helpers: each client sits behind its own proxy; the origins log
every request and datagram, so a test can prove that nothing reached them."""

import shlex
import uuid

import pytest
import testinfra

ALLOWED_IP = "10.213.2.10"
BLOCKED_IP = "10.213.2.20"
BLOCKED_IP6 = "fd00:213:2::20"
ORIGIN_LOG = "/var/log/origin/requests.log"
# client -> (its proxy, whether that proxy also routes the clients' other traffic)
PROXIES = {
    "egress_proxy-client12": ("egress_proxy-src12", True),
    "egress_proxy-client13": ("egress_proxy-pkg13", False),
}
CLIENTS = [f"docker://{name}" for name in PROXIES]


def container(name):
    return testinfra.get_host(f"docker://{name}")


@pytest.fixture
def proxy(host):
    return container(PROXIES[host.backend.name][0])


@pytest.fixture
def forwards_other_traffic(host):
    return PROXIES[host.backend.name][1]


@pytest.fixture(scope="session")
def allowed_origin():
    return container("egress_proxy-allowed")


@pytest.fixture(scope="session")
def blocked_origin():
    return container("egress_proxy-blocked")


@pytest.fixture
def token():
    return f"t-{uuid.uuid4().hex}"


def curl(host, *args):
    """Runs curl with a 10 s limit; stdout holds the body then a status line."""
    cmd = "curl -sS -m 10 -w '\\nstatus=%{http_code}\\n' " + " ".join(shlex.quote(a) for a in args)
    return host.run(cmd)


def reached(origin, token):
    return token in origin.run(f"cat {ORIGIN_LOG}").stdout
