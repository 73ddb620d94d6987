"""The harness the other scenarios rely on: these fail if the containers are not real hosts."""

PEERS = {
    "ironclad-platform-debian12": "ironclad-platform-debian13",
    "ironclad-platform-debian13": "ironclad-platform-debian12",
}


def test_systemd_is_pid_1_and_running(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state == "running", host.run("systemctl --failed --no-legend").stdout


def test_debian_release_matches_the_image(host):
    name = host.backend.get_hostname()
    assert host.system_info.distribution == "debian"
    assert host.system_info.release.split(".")[0] == name.removeprefix("ironclad-platform-debian")


def test_sshd_answers_from_the_other_container(host):
    peer = PEERS[host.backend.get_hostname()]
    # ssh-keyscan completes a real key exchange, so only a working sshd passes.
    result = host.run("ssh-keyscan -T 5 -t ed25519 %s", peer)
    assert result.rc == 0 and "ssh-ed25519" in result.stdout, result.stderr


def test_each_container_has_its_own_host_key(host):
    own = host.run("ssh-keyscan -T 5 -t ed25519 localhost").stdout.split()[-1]
    peer = host.run("ssh-keyscan -T 5 -t ed25519 %s", PEERS[host.backend.get_hostname()]).stdout.split()[-1]
    assert own != peer


def test_unprivileged_user_can_sudo(host):
    as_user = host.run("runuser -u tester -- id -u")
    assert as_user.stdout.strip() != "0"
    via_sudo = host.run("runuser -u tester -- sudo -n id -u")
    assert via_sudo.rc == 0, via_sudo.stderr
    assert via_sudo.stdout.strip() == "0"


def test_container_reaches_the_moto_server(host):
    # moto routes a request by the service named in its signature's credential scope.
    scope = "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sts/aws4_request"
    result = host.run("curl -fsS -H %s -d 'Action=GetCallerIdentity&Version=2011-06-15' http://moto:5000/", scope)
    assert result.rc == 0, result.stderr
    assert "<Account>123456789012</Account>" in result.stdout
