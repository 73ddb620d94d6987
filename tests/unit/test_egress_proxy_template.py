"""squid.conf as the egress_proxy role renders it, for Squid 3.5, 4, 5 and 6.

The real template is rendered by Ansible's own templar with the role's defaults and
vars, so these tests break when the template or the defaults do. A second group runs
the role in check mode with bad variables and expects a clear refusal."""

import re
from pathlib import Path

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from tests.harness import run_playbook

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "egress_proxy"


def trusted(value):
    """Role files are trusted templates, as they are when Ansible loads the role."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [trusted(v) for v in value]
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    return value


FACTS = {
    "hostname": "proxy",
    "os_family": "Debian",
    "distribution": "Debian",
    "distribution_major_version": "12",
    "distribution_version": "12.7",
    "distribution_release": "bookworm",
    "architecture": "x86_64",
}


def evaluate(text, **overrides):
    """Templates text with the role's defaults and vars, as Ansible does on a host."""
    loader = DataLoader()
    variables = {}
    for name in ("defaults/main.yml", "vars/main.yml", "vars/Debian.yml"):
        variables.update(trusted(loader.load_from_file(str(ROLE / name))))
    variables.update(
        ansible_managed="Ansible managed",
        ansible_facts=FACTS,
        inventory_hostname="proxy",
        __egress_proxy_squid_version="6.13",
    )
    variables.update(overrides)
    return Templar(loader=loader, variables=variables).template(trust_as_template(text))


def render(template, **overrides):
    return evaluate((ROLE / "templates" / template).read_text(), **overrides)


def directives(conf):
    return [line for line in conf.splitlines() if line and not line.startswith("#")]


def lines_starting(conf, word):
    return [line for line in directives(conf) if line.split()[0] == word]


@pytest.mark.parametrize("version", ["4.17", "5.7", "6.13"])
def test_squid_4_and_later_use_tls_cert_and_security_file_certgen(version):
    conf = render("squid.conf.j2", __egress_proxy_squid_version=version)
    (https_port,) = lines_starting(conf, "https_port")
    assert "tls-cert=/etc/squid/ssl/squid.pem" in https_port.split()
    assert not any(word.startswith("cert=") for word in https_port.split())
    (helper,) = lines_starting(conf, "sslcrtd_program")
    assert helper.split()[1] == "/usr/lib/squid/security_file_certgen"


def test_squid_3_5_gets_cert_and_ssl_crtd():
    conf = render("squid.conf.j2", __egress_proxy_squid_version="3.5.13")
    (https_port,) = lines_starting(conf, "https_port")
    assert "cert=/etc/squid/ssl/squid.pem" in https_port.split()
    assert "tls-cert" not in https_port
    (helper,) = lines_starting(conf, "sslcrtd_program")
    assert helper.split()[1] == "/usr/lib/squid/ssl_crtd"
    assert "sni_matches_destination" not in conf
    # 3.5 has no --client-requested option: it would be a fatal config error there.
    for acl in [line for line in lines_starting(conf, "acl") if "ssl::server_name" in line]:
        assert "--client-requested" not in acl


@pytest.mark.parametrize(("version", "pinned"), [("3.5.13", False), ("4.17", False), ("5.7", True), ("6.13", True)])
def test_server_name_is_pinned_to_the_sni_where_squid_supports_it(version, pinned):
    conf = render("squid.conf.j2", __egress_proxy_squid_version=version)
    acls = [line for line in lines_starting(conf, "acl") if "ssl::server_name" in line]
    assert len(acls) == 3  # the allowlist and the two host-name checks
    for acl in acls:
        assert ("--client-requested" in acl.split()) is pinned


def test_allowlists_and_bump_rules():
    conf = render(
        "squid.conf.j2",
        egress_proxy_allowed_http_domains=[".example.com", "api.example.org"],
        egress_proxy_allowed_https_domains=[".amazonaws.com"],
    )
    acls = {line.split()[1]: line.split()[2:] for line in lines_starting(conf, "acl")}
    # -n: an IP-literal Host never matches through its reverse name.
    assert acls["allowed_http_sites"] == ["dstdomain", "-n", ".example.com", "api.example.org"]
    assert acls["allowed_https_sites"] == ["ssl::server_name", "--client-requested", ".amazonaws.com"]
    assert lines_starting(conf, "ssl_bump") == [
        "ssl_bump terminate step1 denied_addresses",
        "ssl_bump peek step1 all",
        "ssl_bump splice step2 allowed_https_sites sni_host_name sni_host_name_length sni_matches_destination",
        "ssl_bump terminate step2 all",
        "ssl_bump terminate all",
    ]
    http_access = lines_starting(conf, "http_access")
    # The metadata deny comes before anything that could allow it; deny all is last.
    assert http_access[0] == "http_access deny denied_addresses"
    assert http_access[-1] == "http_access deny all"
    assert "host_verify_strict on" in directives(conf)


@pytest.mark.parametrize(
    ("version", "sni_check"),
    [
        ("3.5.13", " sni_host_name sni_host_name_length"),
        ("6.13", " sni_host_name sni_host_name_length sni_matches_destination"),
    ],
)
def test_peeking_at_the_server_hello_splices_at_step_3(version, sni_check):
    conf = render("squid.conf.j2", __egress_proxy_squid_version=version, egress_proxy_peek_server_hello=True)
    assert lines_starting(conf, "ssl_bump") == [
        "ssl_bump terminate step1 denied_addresses",
        "ssl_bump peek step1 all",
        f"ssl_bump peek step2 allowed_https_sites{sni_check}",
        "ssl_bump splice step3 allowed_https_sites",
        "ssl_bump terminate step2 all",
        "ssl_bump terminate all",
    ]


def test_the_sni_helper_gets_an_escaped_name_and_only_after_the_host_name_checks():
    conf = render("squid.conf.j2")
    (helper,) = lines_starting(conf, "external_acl_type")
    # %#: URL-escaped, so no SNI can put a space or a newline into the helper's line.
    assert helper.split()[6:] == [
        "%#ssl::>sni",
        "%>la",
        "/usr/bin/python3",
        "-I",
        "-S",
        "/usr/local/libexec/egress-proxy/sni-destination-check",
    ]
    acls = {line.split()[1]: line.split()[2:] for line in lines_starting(conf, "acl")}
    assert acls["sni_host_name_length"] == ["ssl::server_name_regex", "--client-requested", "^.{1,253}$"]
    (splice,) = [line for line in lines_starting(conf, "ssl_bump") if "splice" in line]
    words = splice.split()
    assert words.index("sni_host_name") < words.index("sni_host_name_length") < words.index("sni_matches_destination")


@pytest.mark.parametrize(
    ("name", "host_name"),
    [
        ("www.allowed.test", True),
        ("a", True),
        ("a" * 63 + ".test", True),
        ("a" * 64 + ".test", False),
        ("x-1.y.test", True),
        ("-x.test", False),
        ("x-.test", False),
        ("x..test", False),
        ("x.test.", False),
        ("WWW.allowed.test", False),
        ("www.blocked.test 10.0.0.1 x.allowed.test", False),
        ("x.allowed.test\nx.allowed.test", False),
        ("x%20y.test", False),
        ("x_y.test", False),
    ],
)
def test_the_host_name_regex_squid_applies_to_the_sni(name, host_name):
    # POSIX extended syntax as Squid compiles it; without REG_NEWLINE ^ and $ anchor the
    # whole name, so Python's fullmatch is the same test for these patterns.
    conf = render("squid.conf.j2")
    acls = {line.split()[1]: line.split()[2:] for line in lines_starting(conf, "acl")}
    pattern = acls["sni_host_name"][-1]
    assert pattern.startswith("^") and pattern.endswith("$")
    assert bool(re.fullmatch(pattern[1:-1], name)) is host_name


def test_denied_addresses_are_terminated_before_tls_is_read_or_denied():
    # A TLS connection denied by http_access is bumped to show an error page (behind a
    # certificate Squid mints): the metadata address must never get that far.
    bump = lines_starting(render("squid.conf.j2"), "ssl_bump")
    assert bump[:2] == ["ssl_bump terminate step1 denied_addresses", "ssl_bump peek step1 all"]
    none = render("squid.conf.j2", egress_proxy_denied_addresses=[])
    assert "denied_addresses" not in none


def test_empty_allowlists_allow_nothing():
    conf = render("squid.conf.j2", egress_proxy_allowed_http_domains=[], egress_proxy_allowed_https_domains=[])
    assert not [line for line in lines_starting(conf, "http_access") if "allow http_intercept" in line]
    assert "splice" not in " ".join(lines_starting(conf, "ssl_bump"))


def test_client_cidrs_and_ports_reach_config_and_firewall():
    overrides = {
        "egress_proxy_client_cidrs": ["10.1.0.0/16", "10.2.0.0/16"],
        "egress_proxy_http_port": 8080,
        "egress_proxy_https_port": 8443,
    }
    conf = render("squid.conf.j2", **overrides)
    assert "acl clients src 10.1.0.0/16 10.2.0.0/16" in directives(conf)
    assert "http_port 8080 intercept name=http_intercept" in directives(conf)
    rules = render("rules.v4.j2", **overrides)
    for cidr in overrides["egress_proxy_client_cidrs"]:
        assert f"-A EGRESS_PROXY_REDIRECT -s {cidr} -p tcp --dport 443 -j REDIRECT --to-ports 8443" in rules
        assert f"-A EGRESS_PROXY_FORWARD -s {cidr} -p udp -m multiport --dports 80,443 -j DROP" in rules


def test_workers_only_when_more_than_one():
    assert not lines_starting(render("squid.conf.j2"), "workers")
    assert lines_starting(render("squid.conf.j2", egress_proxy_workers=2), "workers") == ["workers 2"]


def test_metadata_addresses_split_by_family():
    v4 = render("rules.v4.j2", __egress_proxy_user="squid")
    v6 = render("rules.v6.j2", __egress_proxy_user="squid")
    assert "-d 169.254.169.254 -m owner --uid-owner squid -j REJECT" in v4
    assert "fd00:ec2::254" not in v4
    assert "-d fd00:ec2::254 -m owner --uid-owner squid -j REJECT" in v6


BAD_INPUT = [
    ({"egress_proxy_install_method": "docker"}, "egress_proxy_install_method must be one of: source, package"),
    ({"egress_proxy_version": "3.5.13"}, "Squid before 5.7 does not build against OpenSSL 3"),
    ({"egress_proxy_client_cidrs": []}, "egress_proxy_client_cidrs is empty"),
    (
        {"egress_proxy_client_cidrs": ["10.0.0.0/8", "fd00::/8"]},
        "must be IPv4 CIDRs (IPv6 is refused, not intercepted): fd00::/8",
    ),
    ({"egress_proxy_allowed_https_domains": ["good.example", "bad domain;"]}, 'in all): "bad domain;"'),
    ({"egress_proxy_source_sha256": "abc"}, "egress_proxy_source_sha256 must be 64 lowercase hex digits"),
    ({"egress_proxy_allowed_http_domains": ["example.com\n"]}, 'in all): "example.com\\n"'),
    ({"egress_proxy_allowed_http_domains": ["x" * 64 + ".example"]}, f'in all): "{"x" * 64}.example"'),
    ({"egress_proxy_allowed_https_domains": [".a" + ".abcdefghi" * 26]}, 'in all): ".a.abcdefghi'),
    ({"egress_proxy_allowed_https_domains": ["-x.example"]}, 'in all): "-x.example"'),
    (
        {"egress_proxy_dns_enabled": True, "egress_proxy_dns_servers": ["10.0.0.2", "8.8.8.8 # x"]},
        '(not: "8.8.8.8 # x")',
    ),
    ({"egress_proxy_dns_enabled": True, "egress_proxy_dns_max_ttl": 600}, "egress_proxy_dns_max_ttl from 0 to below"),
    ({"egress_proxy_dns_enabled": True, "egress_proxy_dns_https_port": 3130}, "ports of their own"),
    ({"egress_proxy_dns_enabled": True, "egress_proxy_firewall_enabled": False}, "needs egress_proxy_firewall_enabled"),
]


BAD_IDS = [f"{next(iter(extra))}-{i}" for i, (extra, _) in enumerate(BAD_INPUT)]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUT, ids=BAD_IDS)
def test_bad_input_is_refused_before_any_change(extra, message):
    """Runs the role against this machine in check mode: nothing can change here, and
    the play must stop at the validation with a message naming the problem."""
    playbook = (
        "- hosts: localhost\n  connection: local\n  gather_facts: true\n  gather_subset: [min]\n"
        "  roles: [{role: ironclad.aws.egress_proxy}]\n"
    )
    result = run_playbook(playbook, check=True, extra_vars=extra, timeout=300)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-3000:]
    assert "changed=0" in result.stdout
    # It stopped at the check: no later task of the role ran.
    assert "Install the build dependencies" not in result.stdout


def build_key(**overrides):
    return evaluate("{{ __egress_proxy_build_key }}", **overrides)


KEY_INPUTS = [
    {"egress_proxy_version": "6.12"},
    {"egress_proxy_source_sha256": "0" * 64},
    {"egress_proxy_source_configure_extra": ["--disable-eui"]},
    {"egress_proxy_source_compiler_flags": "-O1"},
    {"ansible_facts": {**FACTS, "distribution_major_version": "13", "distribution_release": "trixie"}},
    {"ansible_facts": {**FACTS, "distribution": "Ubuntu"}},
    {"ansible_facts": {**FACTS, "architecture": "aarch64"}},
]


@pytest.mark.parametrize("change", KEY_INPUTS, ids=lambda change: next(iter(change)))
def test_build_cache_key_changes_with_everything_the_build_depends_on(change):
    """The cold path: any input of the build gives another key, so an archive built
    otherwise is never installed; the role then builds and packs under the new key."""
    key = build_key()
    assert len(key) == 64 and key == build_key()
    assert build_key(**change) != key


def test_build_cache_key_ignores_point_releases():
    assert build_key(ansible_facts={**FACTS, "distribution_version": "12.8"}) == build_key()


def test_build_archive_goes_to_the_cache_when_there_is_one():
    key = build_key()
    assert evaluate("{{ __egress_proxy_build_archive }}") == f"/usr/local/src/squid/squid-6.13-{key[:24]}.tar.gz"
    cached = evaluate("{{ __egress_proxy_build_archive }}", egress_proxy_source_cache_dir="/var/cache/squid")
    assert cached == f"/var/cache/squid/squid-6.13-{key[:24]}.tar.gz"
    assert evaluate("{{ __egress_proxy_build_id }}") == f"6.13 {evaluate('{{ egress_proxy_source_sha256 }}')} {key}"
