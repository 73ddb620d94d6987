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


def test_the_install_tree_is_kept_in_the_build_cache_under_its_key(host):
    # The cache directory is mounted from the machine running the scenario, so the next
    # run (or clone) with the same key installs this archive instead of compiling.
    key = host.file("/usr/share/squid/ansible-build-id").content_string.split()[2]
    archive = f"/var/cache/squid-builds/squid-6.13-{key[:24]}.tar.gz"
    assert host.file(archive).is_file
    members = host.run(f"tar -tzf {archive}").stdout.splitlines()
    assert "./usr/sbin/squid" in members and "./usr/lib/squid/security_file_certgen" in members
    # squid.conf is the role's: an archive never carries one over it.
    assert "./etc/squid/squid.conf" not in members
    packed = host.run(f"tar -xOzf {archive} ./usr/sbin/squid | sha256sum").stdout.split()[0]
    assert packed == host.run("sha256sum /usr/sbin/squid").stdout.split()[0]
    assert host.file("/etc/squid/squid.conf").contains("ssl_bump")
