"""Real DNS (issue 13 E5): pool.allowed.test resolves, like an S3 name, to ONE address of
a pool per query (files/rotating_dns.py on the allowed origin, TTL 0). The clients ask
their proxy's resolver, which forwards there, and Squid asks it directly, so the client
and Squid see different addresses. Legitimate requests must still succeed (>= 99% of
200 per scheme), and an allowed name sent to an address outside the pool must not."""

import re
import shlex
import uuid

import pytest
from conftest import BLOCKED_IP, CLIENTS, curl, reached

testinfra_hosts = CLIENTS
NAME = "pool.allowed.test"
POOL = {"10.213.2.11", "10.213.2.12", "10.213.2.13", "10.213.2.14"}
REQUESTS = 200
DNS_SERVER = "10.213.2.53"


def resolved(host):
    result = host.run(f"getent ahostsv4 {NAME}")
    assert result.rc == 0, result.stderr
    return result.stdout.split()[0]


def test_the_client_resolves_through_its_proxy_and_the_answers_rotate(host, proxy):
    assert host.file("/etc/resolv.conf").contains(r"^nameserver 10\.213\.")
    seen = {resolved(host) for _ in range(8)}
    assert seen <= POOL and len(seen) >= 2, seen
    # The resolver recorded what it handed out.
    recorded = proxy.run("ipset list egress_proxy_dns").stdout
    assert all(address in recorded for address in seen), recorded


def requests(host, scheme, token):
    """REQUESTS new connections, each after a new lookup: (successes, pool addresses used)."""
    tls = ["--cacert", "/etc/origin-allowed.crt"] if scheme == "https" else []
    args = " ".join(shlex.quote(a) for a in tls)
    script = (
        f"for i in $(seq {REQUESTS}); do curl -sS -m 10 {args} -w 'ip=%{{remote_ip}}\\n' "
        f"{scheme}://{NAME}/{token}-$i 2>&1; done"
    )
    out = host.run("bash -c %s", script).stdout
    successes = len(re.findall(rf"^origin=allowed path=/{token}-\d+$", out, re.M))
    return successes, set(re.findall(r"^ip=(\S+)$", out, re.M)), out


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_legitimate_requests_to_a_rotating_name_succeed(host, scheme, capsys):
    token = f"t-{uuid.uuid4().hex}"
    successes, addresses, out = requests(host, scheme, token)
    with capsys.disabled():
        print(f"\n[{host.backend.name}] rotating DNS {scheme}: {successes}/{REQUESTS} through {sorted(addresses)}")
    # More than one address was used, or nothing rotated and the test proves nothing.
    assert len(addresses & POOL) >= 2, addresses
    failures = [line for line in out.splitlines() if not line.startswith(("origin=allowed", "ip="))]
    assert successes >= REQUESTS * 0.99, failures[:10]


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_rotating_name_sent_outside_the_pool_is_refused(host, proxy, blocked_origin, token, scheme):
    assert proxy.run(f"ipset test egress_proxy_dns {BLOCKED_IP}").rc != 0
    if scheme == "http":
        result = curl(host, "-H", f"Host: {NAME}", f"http://{BLOCKED_IP}/{token}")
        assert re.search(r"status=40[39]", result.stdout), result.stdout + result.stderr
    else:
        result = curl(host, "-k", "--resolve", f"{NAME}:443:{BLOCKED_IP}", f"https://{NAME}/{token}")
        assert result.rc != 0
    assert "origin=" not in result.stdout
    assert not reached(blocked_origin, token)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_blocked_name_sent_to_a_pool_address_is_refused(host, allowed_origin, token, scheme):
    """A trusted destination does not widen the allowlist."""
    address = resolved(host)  # in the set now
    if scheme == "http":
        result = curl(host, "-H", "Host: www.blocked.test", f"http://{address}/{token}")
        assert "status=403" in result.stdout, result.stdout + result.stderr
    else:
        result = curl(host, "-k", "--resolve", f"www.blocked.test:443:{address}", f"https://www.blocked.test/{token}")
        assert result.rc != 0
    assert "origin=" not in result.stdout
    assert not reached(allowed_origin, token)


QUERY = (
    "import socket,struct,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2);"
    "q=struct.pack('!HHHHHH',7,0x100,1,0,0,0)+b''.join(bytes([len(p)])+p.encode() for p in sys.argv[2].split('.'))"
    "+b'\\0\\0\\1\\0\\1'; s.sendto(q,(sys.argv[1],53));"
    "print('answered' if s.recv(512) else '')"
)


def test_the_resolver_answers_only_the_client_networks(blocked_origin):
    """The blocked origin is no client: the proxies' resolvers do not answer it."""
    for proxy_address in ("10.213.2.2", "10.213.2.3"):
        result = blocked_origin.run("python3 -c %s %s %s", QUERY, proxy_address, NAME)
        assert "answered" not in result.stdout, proxy_address
    # Control: the DNS server itself answers it.
    assert "answered" in blocked_origin.run("python3 -c %s %s %s", QUERY, DNS_SERVER, NAME).stdout
