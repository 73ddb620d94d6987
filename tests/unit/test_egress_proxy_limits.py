"""The egress proxy's resource limits and restart settings (issue 13 E3 E4), as the
role renders them for both install methods; bad values are refused before any change."""

import pytest

from tests.harness import run_playbook
from tests.unit.test_egress_proxy_template import directives, lines_starting, render


def test_limits_and_timeouts_reach_squid_conf():
    conf = render("squid.conf.j2")
    for line in (
        "max_filedescriptors 65536",
        "client_ip_max_connections 1024",
        "request_start_timeout 30 seconds",
        "client_idle_pconn_timeout 60 seconds",
        "shutdown_lifetime 0 seconds",
    ):
        assert line in directives(conf)


def test_limits_follow_the_variables():
    conf = render(
        "squid.conf.j2",
        egress_proxy_max_filedescriptors=200000,
        egress_proxy_client_max_connections=64,
        egress_proxy_request_start_timeout=5,
        egress_proxy_client_idle_timeout=7,
        egress_proxy_shutdown_lifetime=2,
    )
    assert lines_starting(conf, "max_filedescriptors") == ["max_filedescriptors 200000"]
    assert lines_starting(conf, "client_ip_max_connections") == ["client_ip_max_connections 64"]
    assert lines_starting(conf, "request_start_timeout") == ["request_start_timeout 5 seconds"]
    assert lines_starting(conf, "client_idle_pconn_timeout") == ["client_idle_pconn_timeout 7 seconds"]
    assert lines_starting(conf, "shutdown_lifetime") == ["shutdown_lifetime 2 seconds"]


@pytest.mark.parametrize("template", ["squid.service.j2", "squid.limits.conf.j2"])
def test_both_install_methods_get_the_descriptor_limit(template):
    """The source build's own unit and the drop-in over the distribution's unit."""
    assert "LimitNOFILE=65536" in render(template).splitlines()
    assert "LimitNOFILE=4096" in render(template, egress_proxy_max_filedescriptors=4096).splitlines()


BAD_LIMITS = [
    {"egress_proxy_max_filedescriptors": 512},
    {"egress_proxy_client_max_connections": 0},
    {"egress_proxy_request_start_timeout": 0},
    {"egress_proxy_client_idle_timeout": 0},
    {"egress_proxy_shutdown_lifetime": -1},
]


@pytest.mark.parametrize("extra", BAD_LIMITS, ids=lambda extra: next(iter(extra)))
def test_limits_out_of_range_are_refused_before_any_change(extra):
    playbook = (
        "- hosts: localhost\n  connection: local\n  gather_facts: true\n  gather_subset: [min]\n"
        "  roles: [{role: ironclad.aws.egress_proxy}]\n"
    )
    result = run_playbook(playbook, check=True, extra_vars=extra, timeout=300)
    assert result.returncode != 0
    assert "limits out of range" in result.stdout and str(next(iter(extra.values()))) in result.stdout
    assert "changed=0" in result.stdout
    assert "Install the build dependencies" not in result.stdout
