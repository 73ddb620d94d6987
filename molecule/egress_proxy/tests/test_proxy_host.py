"""The proxy host itself: privileges, key, rules and their persistence."""

import pytest

testinfra_hosts = ["docker://egress_proxy-src12", "docker://egress_proxy-pkg13"]
USER = {"egress_proxy-src12": "squid", "egress_proxy-pkg13": "proxy"}


@pytest.fixture
def user(host):
    return USER[host.backend.name]


def test_the_processes_serving_clients_are_unprivileged(host, user):
    # Kids ("(squid-1)") accept and handle the connections; a distribution's master
    # process may stay root to restart them, a source build has no root process.
    kids = [line.split() for line in host.run("ps -eo user=,args=").stdout.splitlines() if "(squid-" in line]
    assert kids
    assert {fields[0] for fields in kids} == {user}


def test_bump_key_is_private_to_squid(host, user):
    pem = host.file("/etc/squid/ssl/squid.pem")
    assert pem.mode == 0o600 and pem.user == user
    assert "PRIVATE KEY" in host.run("cat /etc/squid/ssl/squid.pem").stdout


def test_redirect_rules_are_loaded_at_boot(host):
    assert host.service("egress-proxy-firewall").is_enabled
    nat = host.run("iptables -t nat -S EGRESS_PROXY_REDIRECT").stdout
    assert "--dport 80 -j REDIRECT --to-ports 3129" in nat
    assert "--dport 443 -j REDIRECT --to-ports 3130" in nat
    assert "-j EGRESS_PROXY_REDIRECT" in host.run("iptables -t nat -S PREROUTING").stdout
    assert "-j EGRESS_PROXY_FORWARD" in host.run("ip6tables -S FORWARD").stdout


def test_config_parses(host):
    assert host.run("/usr/sbin/squid -k parse").rc == 0
