"""Compilers root-only: on the scenario's egress proxy (which, like a proxy that builds Squid,
has gcc), a user cannot compile or assemble, root can, and the mode survives a reinstall of
the compiler's packages (dpkg-statoverride). Without the role, tester compiles."""

testinfra_hosts = ["ironclad-host-hardening-debian13"]
SOURCE = "int main(void) { return 0; }"


def as_user(host, command, user="tester"):
    return host.run("su -l %s -s /bin/bash -c %s", user, command)


def test_users_cannot_compile_root_can(host):
    attempt = as_user(host, f"cd $TMPDIR && echo '{SOURCE}' > probe.c && gcc -o probe probe.c && ./probe")
    assert attempt.rc != 0 and "Permission denied" in attempt.stderr, attempt.stdout + attempt.stderr
    assert as_user(host, "echo 'nop' | as -o /dev/null").rc != 0
    assert host.run(f"cd /root && echo '{SOURCE}' > probe.c && gcc -o probe probe.c && ./probe").rc == 0


def test_the_mode_survives_a_reinstall_of_the_compiler(host):
    real = host.check_output("readlink -f $(command -v gcc)")
    package = host.check_output("dpkg -S %s", real).split(":")[0]
    host.check_output("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall %s", package)
    assert host.file(real).mode == 0o750
    assert as_user(host, "gcc --version").rc != 0
