"""The default install method: Squid built from the official tarball."""

testinfra_hosts = ["docker://egress_proxy-src12"]


def test_built_with_netfilter_and_openssl(host):
    squid_v = host.run("/usr/sbin/squid -v").stdout
    assert "Version 6.13" in squid_v
    assert "'--enable-linux-netfilter'" in squid_v and "'--with-openssl'" in squid_v


def test_every_squid_process_runs_as_squid(host):
    users = host.run("ps -o user= -C squid").stdout.split()
    assert users and set(users) == {"squid"}


def test_build_is_recorded_so_a_reconverge_skips_it(host):
    stamp = host.file("/usr/share/squid/ansible-build-id")
    assert stamp.content_string.startswith("6.13 232e0567")


def test_built_without_debug_info(host):
    assert "'CXXFLAGS=-O2'" in host.run("/usr/sbin/squid -v").stdout
    assert ".debug_info" not in host.run("readelf -S /usr/sbin/squid").stdout
