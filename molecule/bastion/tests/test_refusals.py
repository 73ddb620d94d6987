"""Everything but an interactive, recorded shell is refused, each path on its own."""

import pytest

REFUSED = "interactive sessions only"


@pytest.fixture(scope="module")
def target(bastion):
    return f"bob@{bastion.name}"


def test_a_supplied_command_is_refused(client, target):
    result = client.run(f"ssh {target} id")
    assert result.rc != 0
    assert REFUSED in result.stderr
    assert "uid=" not in result.stdout


def test_sftp_is_refused(client, target):
    result = client.run(f"echo ls | sftp -b - {target}")
    assert result.rc != 0
    assert "subsystem request failed" in result.stderr or "Connection closed" in result.stderr


@pytest.mark.parametrize("protocol", ["-s", "-O"], ids=["scp-over-sftp", "scp-legacy"])
def test_scp_is_refused(client, bastion, target, protocol):
    path = f"/tmp/scp-{protocol.strip('-')}"
    result = client.run(f"scp {protocol} /etc/hostname {target}:{path}")
    assert result.rc != 0
    assert not bastion.host.file(path).exists


def test_local_forwarding_is_refused(client, target):
    # -N -L: if the bastion forwarded, the bastion's own sshd would answer on 2201.
    result = client.run(
        f"ssh -N -L 127.0.0.1:2201:127.0.0.1:22 {target} & pid=$!; sleep 3; "
        "ssh-keyscan -T 3 -p 2201 127.0.0.1; kill $pid"
    )
    assert "ssh-" not in result.stdout


def test_remote_forwarding_is_refused(client, bastion, target):
    result = client.run(
        f"timeout 10 ssh -N -o ExitOnForwardFailure=yes -R 127.0.0.1:2202:127.0.0.1:22 {target} & pid=$!; "
        "sleep 3; wait $pid; echo RC=$?"
    )
    assert "RC=0" not in result.stdout
    assert "remote port forwarding failed" in result.stderr
    assert ":2202 " not in bastion.check("ss -ltnH")


def test_dynamic_forwarding_is_refused(client, target):
    result = client.run(
        f"ssh -N -D 127.0.0.1:2203 {target} & pid=$!; sleep 3; "
        "curl -sS --max-time 5 --socks5-hostname 127.0.0.1:2203 telnet://127.0.0.1:22 </dev/null; kill $pid"
    )
    assert "SSH-2.0" not in result.stdout


def test_stdio_forwarding_is_refused(client, target):
    result = client.run(f"timeout 10 ssh -W 127.0.0.1:22 {target} </dev/null")
    assert result.rc != 0
    assert "SSH-2.0" not in result.stdout
    assert "stdio forwarding failed" in result.stderr


def test_proxyjump_through_the_bastion_is_refused(client, bastion, target):
    # The jump's target is the bastion's unrecorded admin, who may run commands.
    result = client.run(f"timeout 20 ssh -J {target} opsadmin@127.0.0.1 echo JUMPED")
    assert result.rc != 0
    assert "JUMPED" not in result.stdout


def test_the_unrecorded_admin_runs_commands_but_cannot_forward_either(client, bastion):
    direct = client.run(f"ssh opsadmin@{bastion.name} echo UNRECORDED")
    assert direct.rc == 0 and "UNRECORDED" in direct.stdout, direct.stderr
    forwarded = client.run(f"timeout 10 ssh -W 127.0.0.1:22 opsadmin@{bastion.name} </dev/null")
    assert forwarded.rc != 0 and "SSH-2.0" not in forwarded.stdout


def test_agent_forwarding_is_refused(client, bastion):
    result = client.run(
        "eval $(ssh-agent -s) >/dev/null; ssh-add -q /root/keys/bob; "
        f"ssh -A -tt bob@{bastion.name} <<'TYPED'\necho AGENT=[$SSH_AUTH_SOCK]\nssh-add -l; echo ADD=$?\nexit\nTYPED\n"
        "ssh-agent -k >/dev/null"
    )
    assert "AGENT=[]" in result.stdout
    assert "ADD=2" in result.stdout  # 2: no agent to talk to (1 would be an empty agent)


DOTFILES = {
    ".bashrc": "touch /tmp/dotfile-marker-bashrc",
    ".profile": "touch /tmp/dotfile-marker-profile",
    ".bash_profile": "touch /tmp/dotfile-marker-bash_profile",
    ".bash_login": "touch /tmp/dotfile-marker-bash_login",
    ".ssh/rc": "touch /tmp/dotfile-marker-sshrc",
    "evil.sh": "touch /tmp/dotfile-marker-bash_env",
    ".pam_environment": "BASH_ENV DEFAULT=/home/dave/evil.sh\nIRONCLAD_MARKER DEFAULT=pam",
    ".ssh/environment": "BASH_ENV=/home/dave/evil.sh\nIRONCLAD_MARKER=ssh",
}


def test_code_in_the_users_dotfiles_does_not_run(client, bastion):
    for name, content in DOTFILES.items():
        bastion.check("printf '%%s\\n' %s > /home/dave/%s && chown dave: /home/dave/%s", content, name, name)
    bastion.check("rm -f /tmp/dotfile-marker-*")

    result = client.session(bastion, "dave", ["echo MARK=[$IRONCLAD_MARKER] ENV=[$BASH_ENV]"])
    assert "MARK=[] ENV=[]" in result.stdout
    assert bastion.run("ls /tmp/dotfile-marker-*").stdout == ""

    # The same files do run code when sourced: the markers were real.
    bastion.check(
        "runuser -u dave -- sh -c 'cd && . ./.bashrc && . ./.profile && . ./.bash_profile && . ./.bash_login"
        " && sh .ssh/rc && . ./evil.sh'"
    )
    assert len(bastion.check("ls /tmp/dotfile-marker-*").split()) == 6
    bastion.check("rm -f /tmp/dotfile-marker-*")
