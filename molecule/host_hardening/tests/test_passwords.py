"""pam_pwquality checks every new password, also one root sets (enforce_for_root): chpasswd
goes through the same PAM password stack as passwd. The account is a throwaway one, so
the other tests' accounts keep their passwords and aging. Without the role, chpasswd
takes each of these passwords."""

import pytest

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]
PROBE = "pwprobe"


@pytest.fixture
def probe(host):
    host.check_output(f"userdel -r {PROBE} >/dev/null 2>&1; useradd -m {PROBE}")
    yield PROBE
    host.run(f"userdel -r {PROBE}")


def set_password(host, user, password):
    before = host.check_output(f"getent shadow {user}").split(":")[1]
    result = host.run("echo %s | chpasswd", f"{user}:{password}")
    after = host.check_output(f"getent shadow {user}").split(":")[1]
    return result, before != after


@pytest.mark.parametrize(
    "password",
    ["Sh0rt!pw", "alllowercaselettersonly", "Password12345678", "pwprobe-Account-77"],
    ids=["too-short", "one-class", "dictionary-word", "contains-the-user-name"],
)
def test_weak_password_is_refused(host, probe, password):
    result, changed = set_password(host, probe, password)
    assert result.rc != 0 and not changed, result.stdout + result.stderr
    assert "BAD PASSWORD" in result.stdout + result.stderr


def test_strong_password_is_taken(host, probe):
    result, changed = set_password(host, probe, "Tangle-quartz-81-Vortex")
    assert result.rc == 0 and changed, result.stdout + result.stderr
