"""Users come and go with their keys in S3; bad names are refused, good ones still work."""

import pytest
from conftest import LOG_DIR, audit_key

SHELL = "/usr/bin/bastion/shell"
BAD_KEYS = {
    "public-keys/Upper.pub": "does not match",
    "public-keys/1digit.pub": "does not match",
    "public-keys/we!rd.pub": "does not match",
    "public-keys/tab\\tname.pub": "does not match",
    "public-keys/root.pub": "reserved",
    "public-keys/admin.pub": "reserved",
    "public-keys/localuser.pub": "was not created by this sync",
    f"public-keys/{'a' * 33}.pub": "longer than 32 characters",
    "public-keys/nested/frank.pub": "nested keys are not read",
    "public-keys/notakey.pub": "no valid public key",
}


@pytest.fixture(scope="module")
def sync_log(bastion):
    ok, lines = bastion.sync_users()
    assert ok, lines
    return lines


@pytest.mark.parametrize("user", ["alice", "bob", "dave", "erin"])
def test_synced_users_exist_with_root_owned_keys_and_the_wrapper_as_shell(bastion, user):
    account = bastion.host.user(user)
    assert account.exists and account.shell == SHELL
    home = bastion.host.file(account.home)
    assert (home.user, home.mode) == (user, 0o700)
    keys = bastion.host.file(f"/etc/ssh/authorized_keys/{user}")
    assert (keys.user, keys.group, keys.mode) == ("root", "root", 0o644)
    assert f"{user}@client" in keys.content_string
    assert not bastion.host.file(f"{account.home}/.ssh/authorized_keys").exists


@pytest.mark.parametrize("key", sorted(BAD_KEYS))
def test_bad_key_names_are_refused_with_a_log_line(sync_log, key):
    line = next((line for line in sync_log.splitlines() if f"refusing key '{key}'" in line), None)
    assert line is not None, sync_log
    assert BAD_KEYS[key] in line


def test_a_refused_name_of_an_existing_account_leaves_it_alone(bastion, sync_log):
    local = bastion.host.user("localuser")
    assert local.exists and local.shell == "/bin/bash"
    assert not bastion.host.file(f"{local.home}/.ssh/authorized_keys").exists
    assert not bastion.host.file("/etc/ssh/authorized_keys/localuser").exists


EDGE_KEYS = {
    # A group of that name exists: useradd would fail, and with it the whole run.
    "public-keys/sudo.pub": "a group of that name exists",
    # Named in bastion_sshd_unrecorded_users (molecule.yml) but no account yet.
    "public-keys/ghostadmin.pub": "an unrecorded account",
    # (A name with a trailing newline, which `$` accepted, is a unit test: moto refuses the key.)
}


def test_edge_names_are_refused_and_never_fail_the_run(s3, bastion, client):
    key = client.run("cat /root/keys/alice.pub").stdout
    for name in EDGE_KEYS:
        s3.put_object(Bucket=bastion.bucket, Key=name, Body=key)
    try:
        ok, lines = bastion.sync_users()
    finally:
        for name in EDGE_KEYS:
            s3.delete_object(Bucket=bastion.bucket, Key=name)
    assert ok, lines
    for name, reason in EDGE_KEYS.items():
        line = next((line for line in lines.splitlines() if f"refusing key {name!r}" in line), None)
        assert line is not None and reason in line, (name, lines)
    assert "failed=0" in lines
    for user in ("ghostadmin",):
        assert not bastion.host.user(user).exists
    assert "sudo" not in bastion.check("getent passwd | cut -d: -f1").split()


def test_every_page_of_the_listing_is_read(sync_log):
    # Two keys a page in this scenario; the last keys in order are on the last pages.
    assert "refusing key 'public-keys/we!rd.pub'" in sync_log
    assert "refused=10 " in sync_log


def test_a_key_added_lets_its_user_in_and_a_key_removed_deletes_the_user(s3, bastion, client):
    s3.put_object(
        Bucket=bastion.bucket, Key="public-keys/carol.pub", Body=client.run("cat /root/keys/carol.pub").stdout
    )
    ok, lines = bastion.sync_users()
    assert ok and "Creating user account for carol" in lines, lines
    session = client.session(bastion, "carol", ["echo CAROL-IN"])
    assert "CAROL-IN" in bastion.check(f"cat {LOG_DIR}/{audit_key(session.stdout)}.data")

    s3.delete_object(Bucket=bastion.bucket, Key="public-keys/carol.pub")
    ok, lines = bastion.sync_users()
    assert ok and "Removing user account for carol" in lines, lines
    assert not bastion.host.user("carol").exists
    assert not bastion.host.file("/home/carol").exists
    assert not bastion.host.file("/etc/ssh/authorized_keys/carol").exists
    assert client.run(f"ssh -tt carol@{bastion.name} </dev/null").rc != 0
    changelog = bastion.check(f"cat {LOG_DIR}/users_changelog.txt")
    assert "Creating user account for carol (public-keys/carol.pub)" in changelog
    assert "Removing user account for carol" in changelog


def test_a_failed_listing_removes_nobody(bastion):
    with bastion.s3_unreachable():
        ok, lines = bastion.sync_users()
    assert not ok and "no user changed" in lines
    assert all(bastion.host.user(u).exists for u in ("alice", "bob", "dave", "erin"))
