"""Refused TLS is terminated, never bumped: a client whose connection is refused never
completes a handshake with the proxy, so it never sees a certificate the proxy minted
(the role promises TLS is never decrypted). Squid answers a denied CONNECT on a bump
port by bumping the client to show it an error page, so a refusal must come before
Squid would serve one."""

import pytest
from conftest import ALLOWED_IP, BLOCKED_IP, CLIENTS, reached
from tls_client import hello

testinfra_hosts = CLIENTS
METADATA_IP = "169.254.169.254"


@pytest.mark.parametrize(
    ("address", "sni"),
    [
        (METADATA_IP, "imds.allowed.test"),  # an allowed name that resolves there
        (METADATA_IP, "www.allowed.test"),
        (BLOCKED_IP, "www.blocked.test"),
    ],
)
def test_refused_tls_never_shows_a_certificate(host, allowed_origin, blocked_origin, token, address, sni):
    result = hello(host, "session", address, sni.encode(), f"/{token}")
    assert result["outcome"] == "refused", result
    assert hello(host, "raw", address, sni.encode())["outcome"] == "closed"
    assert not reached(allowed_origin, token) and not reached(blocked_origin, token)


def test_allowed_tls_still_shows_the_origins_own_certificate(host):
    # Control: the same client and tool complete a handshake through the proxy.
    result = hello(host, "session", ALLOWED_IP, b"www.allowed.test", "/control")
    own = host.run("openssl x509 -in /etc/origin-allowed.crt -noout -fingerprint -sha256").stdout
    assert result["outcome"] == "session", result
    seen = [value for key, value in result["certificate"].items() if "fingerprint" in key.lower()]
    assert seen == [own.split("=", 1)[1].strip()]
    assert "origin=allowed" in result["body"]
