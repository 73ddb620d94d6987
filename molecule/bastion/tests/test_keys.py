"""R8: sshd takes keys only from the files the sync writes from S3, never from a home."""

import pytest


@pytest.fixture(scope="module")
def planted_key(client):
    client.run("rm -f /root/keys/planted /root/keys/planted.pub")
    assert client.run("ssh-keygen -q -t ed25519 -N '' -C planted -f /root/keys/planted").rc == 0
    return client.run("cat /root/keys/planted.pub").stdout.strip()


def login_with(client, bastion, user, key):
    return client.run(
        f"timeout 30 ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes "
        f"-o IdentitiesOnly=yes -i {key} -tt {user}@{bastion.name} <<'TYPED'\necho LOGGED-IN-$((9*9))\nexit\nTYPED"
    )


@pytest.mark.parametrize("name", ["authorized_keys", "authorized_keys2"])
def test_a_key_the_user_plants_in_the_home_is_ignored(bastion, client, planted_key, name):
    # dave plants the key himself, in a recorded session of his.
    planted = client.session(
        bastion, "dave", [f"mkdir -p ~/.ssh && echo '{planted_key}' >> ~/.ssh/{name}; echo PLANTED=$?"]
    )
    assert "PLANTED=0" in planted.stdout
    try:
        result = login_with(client, bastion, "dave", "/root/keys/planted")
        assert result.rc != 0
        assert "LOGGED-IN-81" not in result.stdout
        assert "Permission denied" in result.stderr
        # dave's key from S3 still works.
        assert "LOGGED-IN-81" in login_with(client, bastion, "dave", "/root/keys/dave").stdout
    finally:
        bastion.run(f"rm -f /home/dave/.ssh/{name}")


def test_keys_are_read_from_the_root_owned_files_of_the_sync(bastion):
    assert "authorizedkeysfile /etc/ssh/authorized_keys/%u" in bastion.check(
        "sshd -T -C user=dave,host=client,addr=192.0.2.1"
    )
    folder = bastion.host.file("/etc/ssh/authorized_keys")
    assert (folder.user, folder.group, folder.mode) == ("root", "root", 0o755)
    keys = bastion.host.file("/etc/ssh/authorized_keys/dave")
    assert (keys.user, keys.group, keys.mode) == ("root", "root", 0o644)
    assert "dave@client" in keys.content_string
