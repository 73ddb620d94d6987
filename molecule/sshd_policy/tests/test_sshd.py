"""The policy as sshd runs it, and as a client meets it: an ed25519 key still logs in; a
client that insists on an algorithm the stock sshd accepts is refused; a client that
offers many keys gets three tries; every key offered is logged with its fingerprint."""

import time

import pytest
from conftest import CLIENT, DROPIN, SERVERS, docker_host

testinfra_hosts = [CLIENT]
SSH = (
    "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
    " -o IdentitiesOnly=yes -o ConnectTimeout=10"
)
STOCK = "127.0.0.1"  # the client's own sshd: Debian 13's stock configuration
STRANGERS = " ".join(f"-i /root/keys/stranger{n}" for n in range(1, 5))


def sshd_settings(name):
    return docker_host(name).check_output("sshd -T").splitlines()


@pytest.mark.parametrize("server", SERVERS)
def test_sshd_runs_with_the_limits(server):
    settings = sshd_settings(server)
    for line in ("maxauthtries 3", "logingracetime 30", "loglevel VERBOSE"):
        assert line in settings
    assert [s for s in settings if s.startswith("hostkey ")] == [
        "hostkey /etc/ssh/ssh_host_ed25519_key",
        "hostkey /etc/ssh/ssh_host_rsa_key",
    ]
    assert "hostkeyalgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256" in settings


@pytest.mark.parametrize("server", SERVERS)
def test_the_drop_in_is_root_only_and_the_ecdsa_key_is_left_alone(server):
    """sshd's own key generation recreates missing keys at start: the role does not remove them."""
    target = docker_host(server)
    dropin = target.file(DROPIN)
    assert (dropin.user, dropin.group, dropin.mode) == ("root", "root", 0o600)
    assert target.file("/etc/ssh/ssh_host_ecdsa_key").exists


def test_debian13_prefers_ml_kem_and_debian12_gets_what_it_knows():
    assert "kexalgorithms mlkem768x25519-sha256,sntrup761x25519-sha512," in " ".join(sshd_settings(SERVERS[1]))
    debian12 = [s for s in sshd_settings(SERVERS[0]) if s.startswith("kexalgorithms ")]
    assert debian12 == [
        "kexalgorithms sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
        "curve25519-sha256@libssh.org,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512"
    ]


@pytest.mark.parametrize("server", SERVERS)
def test_an_ed25519_key_logs_in(host, server):
    out = host.run(f"{SSH} -i /root/keys/tester tester@{server} 'id -un'")
    assert out.rc == 0, out.stderr
    assert out.stdout.strip() == "tester"


WEAK = {
    "nist-curve-kex": ("-o KexAlgorithms=ecdh-sha2-nistp256", "no matching key exchange method"),
    "ecdsa-host-key": ("-o HostKeyAlgorithms=ecdsa-sha2-nistp256", "no matching host key type"),
    "sha1-mac": ("-o Ciphers=aes128-ctr -o MACs=hmac-sha1", "no matching MAC"),
    "encrypt-and-mac": ("-o Ciphers=aes256-ctr -o MACs=hmac-sha2-256", "no matching MAC"),
    "64-bit-tag": ("-o Ciphers=aes256-ctr -o MACs=umac-64-etm@openssh.com", "no matching MAC"),
}


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("weak", WEAK, ids=list(WEAK))
def test_a_client_insisting_on_a_weak_algorithm_is_refused(host, server, weak):
    """The stock sshd negotiates it (and only then refuses the unknown user's key); the policy
    refuses the connection at key exchange."""
    options, refusal = WEAK[weak]
    stock = host.run(f"{SSH} {options} nobody@{STOCK} true")
    assert "Permission denied (publickey" in stock.stderr, stock.stderr
    hardened = host.run(f"{SSH} {options} nobody@{server} true")
    assert hardened.rc != 0
    assert refusal in hardened.stderr, hardened.stderr


@pytest.mark.parametrize("server", SERVERS)
def test_three_tries_per_connection(host, server):
    """Four unknown keys before the right one: the stock sshd (MaxAuthTries 6) lets the fifth
    in, the policy disconnects after the third."""
    command = f"{SSH} {STRANGERS} -i /root/keys/tester tester@%s 'id -un'"
    stock = host.run(command % STOCK)
    assert stock.rc == 0 and stock.stdout.strip() == "tester", stock.stderr
    hardened = host.run(command % server)
    assert hardened.rc != 0
    assert "Too many authentication failures" in hardened.stderr, hardened.stderr


@pytest.mark.parametrize("server", SERVERS)
def test_every_key_offered_is_logged_with_its_fingerprint(host, server):
    """LogLevel VERBOSE: the key of a failed try is in the journal, named by its fingerprint
    (at the stock INFO level the first failed tries are not logged)."""
    target = docker_host(server)
    fingerprint = host.check_output("ssh-keygen -l -f /root/keys/stranger1.pub").split()[1]
    since = target.check_output("date +%s")
    host.run(f"{SSH} -i /root/keys/stranger1 tester@{server} true")
    journal = ""
    for _ in range(20):  # the journal may lag the connection's end by a moment
        journal = target.check_output(f"journalctl -u ssh --no-pager -o cat --since @{since}")
        if fingerprint in journal:
            break
        time.sleep(0.5)
    lines = [line for line in journal.splitlines() if fingerprint in line]
    assert any(line.startswith("Failed publickey for tester") for line in lines), journal
