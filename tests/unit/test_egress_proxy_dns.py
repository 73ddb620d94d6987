"""egress_proxy_dns_enabled (issue 13 E5) as the role renders it: the resolver's
configuration, the redirect to Squid's trusted ports for the addresses it handed out,
and squid.conf's checks on each port. The egress_proxy scenario runs it against a DNS
server that rotates its answers (test_rotating_dns)."""

import pytest

from tests.unit.test_egress_proxy_template import directives, lines_starting, render

DNS = {"egress_proxy_dns_enabled": True}


def test_off_by_default_nothing_changes():
    conf = render("squid.conf.j2")
    assert "host_verify_strict on" in directives(conf)
    assert "trusted" not in conf and "host_destination" not in conf
    assert "match-set" not in render("rules.v4.j2", __egress_proxy_user="squid")
    assert "--dport 53" not in render("rules.v4.j2", __egress_proxy_user="squid")
    assert [line for line in render("sets.j2").splitlines() if not line.startswith("#")] == []


def test_the_resolver_records_the_allowed_names_it_answers():
    conf = render(
        "dnsmasq.conf.j2",
        egress_proxy_allowed_http_domains=[".Example.com", "api.example.org"],
        egress_proxy_allowed_https_domains=[".example.com"],
        egress_proxy_dns_servers=["10.0.0.2", "/corp.example/10.1.0.2"],
        **DNS,
    )
    lines = conf.splitlines()
    # Leading dots dropped (dnsmasq matches subdomains), lower case, once each.
    assert [line for line in lines if line.startswith("ipset=")] == [
        "ipset=/example.com/egress_proxy_dns",
        "ipset=/api.example.org/egress_proxy_dns",
    ]
    assert "no-resolv" in lines and "server=10.0.0.2" in lines and "server=/corp.example/10.1.0.2" in lines
    assert "max-ttl=60" in lines and "max-cache-ttl=60" in lines
    assert "except-interface=lo" in lines


def test_without_servers_the_resolver_uses_the_hosts_resolv_conf():
    lines = render("dnsmasq.conf.j2", **DNS).splitlines()
    assert "resolv-file=/etc/resolv.conf" in lines and "no-resolv" not in lines


def test_set_and_redirect_to_the_trusted_ports_come_first():
    assert "egress_proxy_dns 600" in render("sets.j2", **DNS).splitlines()
    rules = render("rules.v4.j2", __egress_proxy_user="squid", egress_proxy_client_cidrs=["10.1.0.0/16"], **DNS)
    redirect = [line for line in rules.splitlines() if line.startswith("-A EGRESS_PROXY_REDIRECT")]
    assert redirect == [
        "-A EGRESS_PROXY_REDIRECT -s 10.1.0.0/16 -p tcp --dport 80 -m set --match-set egress_proxy_dns dst"
        " -j REDIRECT --to-ports 3131",
        "-A EGRESS_PROXY_REDIRECT -s 10.1.0.0/16 -p tcp --dport 443 -m set --match-set egress_proxy_dns dst"
        " -j REDIRECT --to-ports 3132",
        "-A EGRESS_PROXY_REDIRECT -s 10.1.0.0/16 -p tcp --dport 80 -j REDIRECT --to-ports 3129",
        "-A EGRESS_PROXY_REDIRECT -s 10.1.0.0/16 -p tcp --dport 443 -j REDIRECT --to-ports 3130",
    ]
    # Port 53 only for the client networks, over IPv4; never over IPv6.
    inputs = [line for line in rules.splitlines() if line.startswith("-A EGRESS_PROXY_INPUT")]
    assert inputs[0] == "-A EGRESS_PROXY_INPUT -s 10.1.0.0/16 -p udp --dport 53 -j ACCEPT"
    assert inputs[-2:] == [
        "-A EGRESS_PROXY_INPUT -p udp --dport 53 -j DROP",
        "-A EGRESS_PROXY_INPUT -p tcp --dport 53 -j REJECT --reject-with tcp-reset",
    ]
    v6 = render("rules.v6.j2", __egress_proxy_user="squid", **DNS)
    assert "-A EGRESS_PROXY_INPUT -p udp --dport 53 -j DROP" in v6


@pytest.mark.parametrize("peek", [False, True])
def test_trusted_ports_skip_only_the_destination_lookup(peek):
    conf = render("squid.conf.j2", egress_proxy_peek_server_hello=peek, **DNS)
    assert "host_verify_strict off" in directives(conf)
    assert "http_port 3131 intercept name=http_trusted" in directives(conf)
    https_ports = lines_starting(conf, "https_port")
    assert "https_port 3132 intercept ssl-bump name=https_trusted tls-cert=/etc/squid/ssl/squid.pem" in https_ports
    http_access = lines_starting(conf, "http_access")
    # The untrusted port checks the Host against the destination (host_verify_strict is off).
    assert "http_access allow http_intercept allowed_http_sites host_matches_destination" in http_access
    assert "http_access allow http_trusted allowed_http_sites" in http_access
    assert "http_access deny CONNECT http_trusted" in http_access
    assert http_access[0] == "http_access deny denied_addresses"
    (helper,) = [line for line in lines_starting(conf, "external_acl_type") if " host_destination " in line]
    assert " %#>rd %>la " in helper
    action = "peek" if peek else "splice"
    bump = lines_starting(conf, "ssl_bump")
    # The trusted port peeks at step 2 in both modes (a splice at step 2 re-checks the
    # SNI against Squid's own lookup) and splices at step 3.
    assert bump[:3] == [
        "ssl_bump terminate step1 denied_addresses",
        "ssl_bump peek step1 all",
        "ssl_bump peek step2 https_trusted allowed_https_sites sni_host_name sni_host_name_length",
    ]
    step3 = "allowed_https_sites" if peek else "https_trusted allowed_https_sites"
    assert f"ssl_bump splice step3 {step3}" in bump
    checked = "allowed_https_sites sni_host_name sni_host_name_length sni_matches_destination"
    assert f"ssl_bump {action} step2 {checked}" in bump
