"""fail2ban (sshd jail, journal backend, nftables): an address that keeps failing sshd's
authentication can no longer open a TCP connection to the host, and it can again once
unbanned. The attacker is the scenario's fresh container, which the role never touches.
Without the role, six failed logins change nothing: the seventh connection is accepted."""

import time

import testinfra

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]
ATTACKER = "ironclad-host-hardening-fresh"
SSH = "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"


def address_of(host):
    return host.check_output("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1")


def reaches_sshd(client, address):
    return client.run("timeout 5 bash -c %s", f"</dev/tcp/{address}/22").rc == 0


def banned(host, address):
    return address in host.check_output("fail2ban-client status sshd")


def test_an_address_that_keeps_failing_ssh_logins_is_banned(host):
    attacker = testinfra.get_host(f"docker://{ATTACKER}")
    target, source = address_of(host), address_of(attacker)
    host.run("fail2ban-client set sshd unbanip %s", source)
    assert reaches_sshd(attacker, target), "the attacker cannot reach sshd before the attack"
    try:
        for attempt in range(6):
            attacker.run(f"{SSH} ghost{attempt}@{target} true")
        deadline = time.monotonic() + 30
        while not banned(host, source) and time.monotonic() < deadline:
            time.sleep(1)
        assert banned(host, source), host.check_output("journalctl -u fail2ban -n 30 --no-pager")
        assert not reaches_sshd(attacker, target), "a banned address still reaches sshd"
        assert reaches_sshd(host, "127.0.0.1"), "the ban reaches more than the attacker"
    finally:
        host.run("fail2ban-client set sshd unbanip %s", source)
    assert reaches_sshd(attacker, target), "the address is still dropped after the unban"
