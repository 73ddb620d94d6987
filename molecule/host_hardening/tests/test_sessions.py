"""Login sessions of people: an idle shell ends (TMOUT, which the user cannot unset), and
each session's temporary files go to a folder only its user can enter (pam_tmpdir).
Without the role, `TMOUT=0` is accepted and TMPDIR is unset (the shared /tmp)."""

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]


def as_user(host, command, user="tester"):
    return host.run("su -l %s -s /bin/bash -c %s", user, command)


def test_idle_shells_end_and_users_cannot_turn_that_off(host):
    assert as_user(host, "echo $TMOUT").stdout.strip() == "900"
    for attempt in ("TMOUT=0", "unset TMOUT", "export TMOUT=0"):
        result = as_user(host, f"{attempt} && echo turned-off")
        assert result.rc != 0 and "turned-off" not in result.stdout, attempt
        assert "readonly" in result.stderr, result.stderr


def test_each_session_gets_a_private_temporary_folder(host):
    uid = host.user("tester").uid
    assert as_user(host, "echo $TMPDIR").stdout.strip() == f"/tmp/user/{uid}"
    as_user(host, 'echo secret > "$TMPDIR/probe"')
    folder = host.file(f"/tmp/user/{uid}")
    assert folder.user == "tester" and folder.mode == 0o700
    assert as_user(host, f"ls /tmp/user/{uid}", user="keyonly").rc != 0
    assert as_user(host, f"cat /tmp/user/{uid}/probe", user="keyonly").rc != 0
    assert as_user(host, f"ln -s /etc/passwd /tmp/user/{uid}/probe2", user="keyonly").rc != 0
