"""HTTP to a bare IP address: the Host is an IP literal, which an allowlist of names
must never match through the address's reverse name. The blocked origin's address has
a PTR under .allowed.test on the proxies (ec2-10-213-2-20.allowed.test, from the hosts
file), as every EC2 public address has one under .amazonaws.com."""

from conftest import BLOCKED_IP, CLIENTS, curl, reached

testinfra_hosts = CLIENTS


def test_http_to_an_ip_literal_is_not_allowed_by_its_reverse_name(host, blocked_origin, token):
    result = curl(host, f"http://{BLOCKED_IP}/{token}")
    assert "origin=" not in result.stdout and "status=403" in result.stdout, result.stdout + result.stderr
    assert not reached(blocked_origin, token)
