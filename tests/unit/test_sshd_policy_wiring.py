"""The bastion's sshd_config includes the sshd_policy role's drop-in by its path: the two
roles name the same file, and the bastion's restart listens to the policy's handler topic."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load(path):
    return yaml.safe_load((ROOT / path).read_text())


def test_the_bastion_includes_the_policys_own_drop_in():
    policy = load("roles/sshd_policy/vars/main.yml")["__sshd_policy_dropin"]
    assert load("roles/bastion/vars/main.yml")["__bastion_sshd_policy_dropin"] == policy
    template = (ROOT / "roles/bastion/templates/sshd_config.j2").read_text()
    directives = [line for line in template.splitlines() if line and not line.startswith(("#", "{%"))]
    assert directives[0] == "Include {{ __bastion_sshd_policy_dropin }}"


def test_one_restart_covers_both_files():
    topic = "sshd_policy changed"
    policy_tasks = (ROOT / "roles/sshd_policy/tasks/dropin.yml").read_text()
    assert f"notify: {topic}" in policy_tasks
    sshd = [h for h in load("roles/bastion/handlers/main.yml") if "sshd" in h["name"]]
    assert len(sshd) == 2 and all(topic in handler["listen"] for handler in sshd)
    include = [t for t in load("roles/bastion/tasks/sshd.yml") if "ansible.builtin.include_role" in t]
    assert include[0]["vars"] == {"sshd_policy_reload": False}
