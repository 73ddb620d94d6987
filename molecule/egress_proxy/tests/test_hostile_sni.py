"""Hostile server names in the TLS hello. Squid hands the SNI to the helper that checks
it resolves to the destination; a name that is not a host name (spaces, newlines, `%`,
NUL, too long) must be terminated before it gets there, and cannot make the helper's
one-line-per-request protocol slip for anyone else. Names are compared without regard
to case, and a name in capitals must not disturb Squid's DNS cache for other clients.

"Terminated" is seen from the client: the proxy closes the connection without sending a
byte (no origin's hello, no alert, no HTTP error). The helper logs every line it refuses
to Squid's cache.log, so a hostile name that reached it would be seen there."""

import pytest
from conftest import ALLOWED_IP, BLOCKED_IP, CLIENTS, curl, reached
from tls_client import hello

testinfra_hosts = CLIENTS
LEGITIMATE_TRIES = 20


@pytest.fixture
def other_client(host):
    """A second client address on the client's network (another host of the subnet)."""
    dev, cidr = host.run("ip -o -4 addr show scope global").stdout.split()[1:4:2]
    address = cidr.split("/")[0].rsplit(".", 1)[0] + ".11"
    assert host.run(f"ip addr replace {address}/{cidr.split('/')[1]} dev {dev}").rc == 0
    return address


def cache_log(proxy):
    return proxy.run("cat /var/log/squid/cache.log").stdout


def legitimate_failures(host, proxy, source, name="www.allowed.test"):
    """The allowed HTTPS and HTTP requests from source that did not pass, of
    LEGITIMATE_TRIES each, with curl's error and the proxy's log lines for source
    (a failure once seen in CI could not be reproduced: the next one must say why)."""
    failed = []
    for i in range(LEGITIMATE_TRIES):
        https = curl(host, "--interface", source, "--cacert", "/etc/origin-allowed.crt", f"https://{name}/ok-{i}")
        http = curl(host, "--interface", source, f"http://www.allowed.test/ok-{i}")
        failed += [
            f"{kind} {i}: {result.stdout.strip()[-60:]!r} {result.stderr.strip()!r}"
            for kind, result in (("https", https), ("http", http))
            if "origin=allowed" not in result.stdout
        ]
    if failed:
        failed.append(proxy.run(f"grep -F ' {source} ' /var/log/squid/access.log | tail -n 6").stdout)
        failed.append(proxy.run("tail -n 15 /var/log/squid/cache.log").stdout)
    return failed


def test_sni_with_an_injected_destination_does_not_open_a_tunnel(host, proxy, blocked_origin, token):
    # The helper used to read "name destination" split on spaces: this SNI made it check
    # www.blocked.test against the blocked IP (a match), while the allowlist saw a name
    # under .allowed.test.
    sni = f"www.blocked.test {BLOCKED_IP} {token}.allowed.test".encode()
    result = hello(host, "session", BLOCKED_IP, sni, f"/{token}")
    assert result["outcome"] == "refused", result
    assert hello(host, "raw", BLOCKED_IP, sni)["outcome"] == "closed"
    assert not reached(blocked_origin, token)
    assert token not in cache_log(proxy)


@pytest.mark.parametrize(
    "sni",
    [
        "www.blocked.test%20{ip}%20{token}.allowed.test",  # escapes a decoding helper would undo
        "www.blocked.test\t{ip}\t{token}.allowed.test",
        "{token}-" + "a" * 60 + ".allowed.test",  # a label over 63
        ("a" * 62 + ".") * 3 + "{token}." + "b" * 50 + ".allowed.test",  # over 253 in all
        "{token}.allowed.test.",  # a trailing dot is no host name in an SNI
        "{token}_x.allowed.test",
    ],
    ids=["percent", "tab", "label-64", "name-300", "trailing-dot", "underscore"],
)
def test_sni_that_is_no_host_name_is_terminated_before_the_helper(host, proxy, blocked_origin, token, sni):
    sni = sni.format(ip=BLOCKED_IP, token=token).encode()
    for address in (ALLOWED_IP, BLOCKED_IP):
        assert hello(host, "raw", address, sni)["outcome"] == "closed", (address, sni)
    assert not reached(blocked_origin, token)
    assert token not in cache_log(proxy)


@pytest.mark.parametrize(
    "sni", ["www.blocked.test\x00.{token}.allowed.test", "{token}.allowed.test\x00www.blocked.test"]
)
def test_sni_with_a_nul_is_judged_by_the_name_before_it(host, proxy, blocked_origin, token, sni):
    # Squid reads the SNI as a C string: the name ends at the NUL, and that name alone
    # must be allowed and resolve to the destination. A blocked name before the NUL,
    # or an allowed one that does not lead to the blocked IP, is terminated.
    sni = sni.format(token=token).encode()
    assert hello(host, "raw", BLOCKED_IP, sni)["outcome"] == "closed"
    assert not reached(blocked_origin, token)


def test_newline_flood_does_not_desync_the_helper(host, proxy, other_client):
    # One hello whose SNI is 150 lines: a helper reading lines answers each, and Squid
    # takes the surplus answers as the next requests' (every new HTTPS refused).
    unexpected = cache_log(proxy).count("unexpected read")
    flood = "\n".join(["www.allowed.test"] * 150).encode()
    assert hello(host, "raw", ALLOWED_IP, flood)["outcome"] == "closed"
    # A name no earlier test used, so Squid's cache of helper answers cannot answer it.
    failures = legitimate_failures(host, proxy, other_client, "after-flood.allowed.test")
    assert not failures, "\n".join(failures)
    assert cache_log(proxy).count("unexpected read") == unexpected


def test_names_in_capitals_leave_other_clients_alone(host, proxy, other_client, allowed_origin, token):
    # Host names compare without regard to case: HTTP with a Host in capitals passes.
    http = curl(host, "-H", "Host: WWW.ALLOWED.TEST", f"http://www.allowed.test/{token}")
    assert "origin=allowed" in http.stdout, http.stdout + http.stderr
    # An SNI in capitals used to replace Squid's hosts-file entry for the lower-case
    # name (its DNS cache is keyed by the lower-cased name but looked up as given), and
    # every client's HTTPS to it failed until a reload. It is terminated before Squid
    # looks it up (TLS libraries send lower case: curl, browsers, Python).
    assert hello(host, "raw", ALLOWED_IP, b"WWW.ALLOWED.TEST")["outcome"] == "closed"
    assert hello(host, "session", ALLOWED_IP, b"Www.Allowed.Test", f"/{token}-sni")["outcome"] == "refused"
    failures = legitimate_failures(host, proxy, other_client)
    assert not failures, "\n".join(failures)
    assert reached(allowed_origin, token)
